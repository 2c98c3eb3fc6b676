import { elapsedMs, formatCost, formatDuration, formatTokens, totalTokens } from './format';
import { isActive, type TaskRecord, type TaskState } from './taskRecord';

export interface IconModel {
  /** A codicon id, `~spin` included where it spins. */
  id: string;
  /** A theme colour id, when the state has one. */
  color?: string;
}

export interface TaskItemModel {
  id: string;
  label: string;
  description: string;
  tooltip: string;
  icon: IconModel;
  /** Space-separated flags the view's menus match with `viewItem =~ /\bflag\b/`. */
  contextValue: string;
  accessibilityLabel: string;
}

export interface TaskAbilities {
  /** The client knows how to issue this task again. */
  rerunnable: boolean;
  /** A brief can be shown for it (its own brief document, the artifact's, or the briefs folder). */
  hasBrief: boolean;
}

const ICONS: Record<TaskState, IconModel> = {
  queued: { id: 'clock' },
  running: { id: 'sync~spin' },
  done: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
  interrupted: { id: 'debug-pause', color: 'editorWarning.foreground' },
};

export function stateIcon(state: TaskState): IconModel {
  return ICONS[state];
}

/** Words for the states, in the tooltip and for screen readers (the row shows the icon). */
const STATE_WORDS: Record<TaskState, string> = {
  queued: 'queued',
  running: 'running',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
};

/** What the artifact needs from the person: a draft nobody marked reviewed, or one whose sources changed. */
export function markers(task: TaskRecord): string[] {
  const out: string[] = [];
  if (task.artifactUri !== null && task.stale) {
    out.push('stale');
  }
  if (task.state === 'done' && task.artifactUri !== null && task.reviewed !== true) {
    out.push('draft');
  }
  return out;
}

/**
 * The short text beside the title: the markers and the elapsed time. It has
 * to fit beside the title at the default side bar width (about 300 px), so the
 * state is the icon, and tokens and cost are in the tooltip.
 */
export function describeTask(task: TaskRecord, now: number): string {
  const elapsed = elapsedMs(task, now);
  const parts = markers(task);
  if (elapsed !== undefined) {
    parts.push(formatDuration(elapsed));
  }
  return parts.join(' · ');
}

function tooltipFor(task: TaskRecord, now: number): string {
  const u = task.usage;
  const elapsed = elapsedMs(task, now);
  const summary = [
    STATE_WORDS[task.state],
    ...(elapsed === undefined ? [] : [task.state === 'queued' ? `waiting ${formatDuration(elapsed)}` : formatDuration(elapsed)]),
    formatTokens(totalTokens(task)),
    formatCost(task.usage.costUsd),
  ].join(' · ');
  const lines = [`**${task.title}**`, '', `${task.kind} · ${summary}`];
  const flags = markers(task);
  if (flags.includes('draft')) {
    lines.push('', 'Draft: not yet marked reviewed.');
  }
  if (flags.includes('stale')) {
    lines.push('', 'Stale: files it was built from have changed since.');
  }
  if (task.provider !== null) {
    lines.push('', `Provider: ${task.provider}${task.model !== null ? ` / ${task.model}` : ''}`);
  }
  if (totalTokens(task) > 0) {
    lines.push(
      '',
      `Tokens: ${u.inputTokens} in, ${u.outputTokens} out, ${u.cacheReadTokens} cache read, ${u.cacheWriteTokens} cache write`,
    );
  }
  if (task.batchId !== null) {
    lines.push('', `Batch: ${task.batchId}`);
  }
  if (task.error !== null) {
    lines.push('', `Error: ${task.error}`);
  }
  if (task.artifactUri !== null) {
    lines.push('', 'Click to open the artifact.');
  }
  return lines.join('\n');
}

export function taskItemModel(task: TaskRecord, now: number, abilities: TaskAbilities): TaskItemModel {
  const description = describeTask(task, now);
  const state = STATE_WORDS[task.state];
  const flags = ['task', `state-${task.state}`];
  if (isActive(task.state)) {
    flags.push('cancellable');
  }
  if (abilities.rerunnable && !isActive(task.state)) {
    flags.push('rerunnable');
  }
  if (task.artifactUri !== null) {
    flags.push('hasArtifact');
  }
  if (abilities.hasBrief) {
    flags.push('hasBrief');
  }
  flags.push(...markers(task));
  return {
    id: task.taskId,
    label: task.title,
    description,
    tooltip: tooltipFor(task, now),
    icon: stateIcon(task.state),
    contextValue: flags.join(' '),
    accessibilityLabel: [task.title, state, description].filter((s) => s !== '').join(', '),
  };
}
