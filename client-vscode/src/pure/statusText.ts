import type { Counts } from './taskStore';

export interface StatusModel {
  text: string;
  tooltip: string;
}

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export function statusModel(counts: Counts, server: ServerState): StatusModel {
  if (server === 'failed') {
    return { text: '$(error) cowork: not running', tooltip: 'cowork: the language server could not start — click for the tasks view' };
  }
  if (server === 'starting') {
    return { text: '$(loading~spin) cowork: starting', tooltip: 'cowork: starting the language server' };
  }
  if (server === 'stopped') {
    return { text: '$(circle-slash) cowork: stopped', tooltip: 'cowork: the language server is stopped' };
  }
  const parts: string[] = [];
  if (counts.running > 0) {
    parts.push(`${counts.running} running`);
  }
  if (counts.queued > 0) {
    parts.push(`${counts.queued} queued`);
  }
  const toReview = counts.drafts > 0 ? ` · ${counts.drafts} to review` : '';
  const drafts =
    counts.drafts > 0 ? `; ${counts.drafts} draft${counts.drafts === 1 ? '' : 's'} not yet marked reviewed` : '';
  if (parts.length === 0) {
    return { text: `cowork${toReview}`, tooltip: `cowork: no task running${drafts} — click for the tasks view` };
  }
  const icon = counts.running > 0 ? '$(sync~spin)' : '$(clock)';
  const summary = parts.join(', ');
  return {
    text: `${icon} cowork ${summary}${toReview}`,
    tooltip: `cowork: ${summary}${drafts} — click for the tasks view`,
  };
}
