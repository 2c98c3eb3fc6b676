// What the client handed off for each task, so that a task can be re-run.
//
// A task record carries `params` and `briefUri` (design.md), which is all a
// re-run needs. Servers older than that sent neither, so the client also keeps
// the command and argument of every hand-off that went through it — palette
// commands, code actions, brief dispatches — keyed by the task id the server
// answered with, and falls back on that (see rerunFor).

import type { CommandArg } from './taskArgs';

export const TASK_COMMANDS: ReadonlySet<string> = new Set([
  'cowork.summarizeModule',
  'cowork.architectureBrief',
  'cowork.reviewChanges',
  'cowork.draftDocs',
  'cowork.research',
  'cowork.dispatchBrief',
  'cowork.proposeChange',
  'cowork.reviseArtifact',
]);

export interface Handoff {
  command: string;
  arg: CommandArg;
}

/** The task id of a task command's answer (`{"taskId": "…"}`), else undefined. */
export function taskIdOf(result: unknown): string | undefined {
  if (typeof result === 'object' && result !== null) {
    const id = (result as Record<string, unknown>).taskId;
    if (typeof id === 'string' && id !== '') {
      return id;
    }
  }
  return undefined;
}

/** The hand-off a command invocation makes, when it is a task command with one object argument. */
export function handoffOf(command: string, args: readonly unknown[]): Handoff | undefined {
  if (!TASK_COMMANDS.has(command) || args.length !== 1) {
    return undefined;
  }
  const arg = args[0];
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) {
    return undefined;
  }
  return { command, arg: { ...(arg as CommandArg) } };
}

export class HandoffLog {
  private readonly entries: Map<string, Handoff>;

  /** Keeps the newest `limit` hand-offs: the log lives in workspace state, which should stay small. */
  constructor(
    saved: ReadonlyArray<[string, Handoff]> = [],
    private readonly limit = 500,
  ) {
    this.entries = new Map(saved.filter(([id, h]) => typeof id === 'string' && isHandoff(h)));
  }

  record(taskId: string, handoff: Handoff): void {
    this.entries.delete(taskId);
    this.entries.set(taskId, handoff);
    while (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get(taskId: string): Handoff | undefined {
    return this.entries.get(taskId);
  }

  /** The brief document a task was dispatched from, when it was. */
  briefUri(taskId: string): string | undefined {
    const h = this.entries.get(taskId);
    return h?.command === 'cowork.dispatchBrief' && typeof h.arg.uri === 'string' ? h.arg.uri : undefined;
  }

  toJSON(): Array<[string, Handoff]> {
    return [...this.entries];
  }
}

function isHandoff(value: unknown): value is Handoff {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const h = value as Record<string, unknown>;
  return typeof h.command === 'string' && TASK_COMMANDS.has(h.command) && typeof h.arg === 'object' && h.arg !== null;
}

/** The command that starts a task of each kind, for re-running a task from its record's `params`. */
export const KIND_COMMANDS: Readonly<Record<string, string>> = {
  summarize: 'cowork.summarizeModule',
  architecture: 'cowork.architectureBrief',
  review: 'cowork.reviewChanges',
  docs: 'cowork.draftDocs',
  research: 'cowork.research',
  change: 'cowork.proposeChange',
};

/**
 * How to issue a task again: the brief it was dispatched from, else its
 * kind's command with the record's `params`, else what this client remembers
 * handing off (records from servers that predate `params`).
 */
export function rerunFor(
  task: { taskId: string; kind: string; params: Record<string, unknown> | null; briefUri: string | null },
  log: HandoffLog,
): Handoff | undefined {
  if (task.briefUri !== null) {
    return { command: 'cowork.dispatchBrief', arg: { uri: task.briefUri } };
  }
  const command = KIND_COMMANDS[task.kind];
  if (command !== undefined && task.params !== null) {
    return { command, arg: { ...task.params } };
  }
  return log.get(task.taskId);
}
