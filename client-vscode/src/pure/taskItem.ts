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

export function describeTask(task: TaskRecord, now: number): string {
  const elapsed = elapsedMs(task, now);
  if (task.state === 'queued') {
    return elapsed === undefined ? 'queued' : `queued · waiting ${formatDuration(elapsed)}`;
  }
  const parts: string[] = [task.state];
  if (elapsed !== undefined) {
    parts.push(formatDuration(elapsed));
  }
  parts.push(formatTokens(totalTokens(task)), formatCost(task.usage.costUsd));
  return parts.join(' · ');
}

function tooltipFor(task: TaskRecord, description: string): string {
  const u = task.usage;
  const lines = [
    `**${task.title}**`,
    '',
    `${task.kind} · ${description}`,
  ];
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
  return {
    id: task.taskId,
    label: task.title,
    description,
    tooltip: tooltipFor(task, description),
    icon: stateIcon(task.state),
    contextValue: flags.join(' '),
    accessibilityLabel: `${task.title}, ${description}`,
  };
}
