import type { TaskRecord } from './taskRecord';

export interface Transition {
  previous: TaskRecord | undefined;
  current: TaskRecord;
}

export interface Counts {
  running: number;
  queued: number;
  /** Finished drafts nobody has marked reviewed yet (when the server says). */
  drafts: number;
}

/**
 * The tasks the client knows, fed by a `cowork.listTasks` snapshot and by
 * `cowork/taskChanged` notifications.
 *
 * The snapshot is requested after the notification handler is live, so a
 * notification can overtake the snapshot's answer; a record that changed
 * while the snapshot was in flight is newer than the snapshot's copy.
 */
export class TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();
  private changedDuringSnapshot: Set<string> | undefined;

  update(record: TaskRecord): Transition {
    const previous = this.tasks.get(record.taskId);
    this.tasks.set(record.taskId, record);
    this.changedDuringSnapshot?.add(record.taskId);
    return { previous, current: record };
  }

  beginSnapshot(): void {
    this.changedDuringSnapshot = new Set();
  }

  applySnapshot(records: readonly TaskRecord[]): void {
    const fresher = this.changedDuringSnapshot ?? new Set<string>();
    this.changedDuringSnapshot = undefined;
    const kept = new Map([...this.tasks].filter(([id]) => fresher.has(id)));
    this.tasks.clear();
    for (const record of records) {
      this.tasks.set(record.taskId, kept.get(record.taskId) ?? record);
    }
    for (const [id, record] of kept) {
      this.tasks.set(id, record);
    }
  }

  clear(): void {
    this.tasks.clear();
    this.changedDuringSnapshot = undefined;
  }

  get(taskId: string): TaskRecord | undefined {
    return this.tasks.get(taskId);
  }

  /** Newest first, as `cowork tasks` prints them. */
  list(): TaskRecord[] {
    return [...this.tasks.values()].sort(
      (a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? '') || b.taskId.localeCompare(a.taskId),
    );
  }

  active(): TaskRecord[] {
    return this.list().filter((t) => t.state === 'running' || t.state === 'queued');
  }

  counts(): Counts {
    let running = 0;
    let queued = 0;
    let drafts = 0;
    for (const task of this.tasks.values()) {
      if (task.state === 'running') {
        running += 1;
      } else if (task.state === 'queued') {
        queued += 1;
      } else if (task.state === 'done' && task.reviewed === false && task.artifactUri !== null) {
        drafts += 1;
      }
    }
    return { running, queued, drafts };
  }
}
