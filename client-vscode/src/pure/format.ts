import type { TaskRecord } from './taskRecord';

function parseTime(value: string | null): number | undefined {
  if (value === null) {
    return undefined;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * How long the task has taken: running ones up to `now`, finished ones up to
 * their end. Queued ones have not started, so their wait since creation.
 */
export function elapsedMs(task: TaskRecord, now: number): number | undefined {
  const created = parseTime(task.createdAt);
  const started = parseTime(task.startedAt);
  const finished = parseTime(task.finishedAt);
  if (task.state === 'queued') {
    return created === undefined ? undefined : Math.max(0, now - created);
  }
  const from = started ?? created;
  if (from === undefined) {
    return undefined;
  }
  const to = task.state === 'running' ? now : (finished ?? now);
  return Math.max(0, to - from);
}

export function formatDuration(ms: number): string {
  if (ms < 10_000) {
    return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  }
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export function totalTokens(task: TaskRecord): number {
  const u = task.usage;
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}

export function formatTokens(count: number): string {
  if (count < 1000) {
    return `${count} tokens`;
  }
  if (count < 1_000_000) {
    return `${(count / 1000).toFixed(count < 10_000 ? 1 : 0)}k tokens`;
  }
  return `${(count / 1_000_000).toFixed(1)}M tokens`;
}

export function formatCost(usd: number): string {
  if (usd === 0) {
    return '$0';
  }
  // Single tasks often cost fractions of a cent; two decimals would show $0.00.
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
