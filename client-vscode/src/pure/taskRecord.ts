// The task record of design.md, as the server sends it (`cowork.listTasks`,
// `cowork/taskChanged`). Parsed defensively: a newer server may add fields and
// a broken one may omit some; neither may break the view.

export const TASK_STATES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
}

export interface TaskRecord {
  taskId: string;
  kind: string;
  title: string;
  state: TaskState;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  artifactUri: string | null;
  error: string | null;
  usage: Usage;
  provider: string | null;
  model: string | null;
  batchId: string | null;
  /** Not in design.md's table, but sent by the server: the workspace folder's path. */
  workspace: string | null;
  /** The argument object of the command that started the task (re-run sends it again). */
  params: Record<string, unknown> | null;
  /** The brief document the task was dispatched from (re-run dispatches it again). */
  briefUri: string | null;
  /** The task this one revises or re-runs, when there is one. */
  parentId: string | null;
  /** Whether its artifact was marked reviewed; null when the server does not say. */
  reviewed: boolean | null;
  /** The artifact's context files changed since it was written. */
  stale: boolean;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function obj(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function isActive(state: TaskState): boolean {
  return state === 'queued' || state === 'running';
}

export function parseTaskRecord(value: unknown): TaskRecord | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const raw = value as Record<string, unknown>;
  const taskId = str(raw.taskId);
  const state = raw.state;
  if (taskId === null || !TASK_STATES.includes(state as TaskState)) {
    return undefined;
  }
  const usage = (typeof raw.usage === 'object' && raw.usage !== null ? raw.usage : {}) as Record<string, unknown>;
  const kind = str(raw.kind) ?? 'task';
  return {
    taskId,
    kind,
    title: str(raw.title) ?? `${kind} ${taskId}`,
    state: state as TaskState,
    createdAt: str(raw.createdAt),
    startedAt: str(raw.startedAt),
    finishedAt: str(raw.finishedAt),
    artifactUri: str(raw.artifactUri),
    error: str(raw.error),
    usage: {
      inputTokens: num(usage.inputTokens),
      outputTokens: num(usage.outputTokens),
      cacheReadTokens: num(usage.cacheReadTokens),
      cacheWriteTokens: num(usage.cacheWriteTokens),
      costUsd: num(usage.costUsd),
    },
    provider: str(raw.provider),
    model: str(raw.model),
    batchId: str(raw.batchId),
    workspace: str(raw.workspace),
    params: obj(raw.params),
    briefUri: str(raw.briefUri),
    parentId: str(raw.parentId),
    reviewed: typeof raw.reviewed === 'boolean' ? raw.reviewed : null,
    stale: raw.stale === true,
  };
}

export function parseTaskList(value: unknown): TaskRecord[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.map(parseTaskRecord).filter((t): t is TaskRecord => t !== undefined);
}
