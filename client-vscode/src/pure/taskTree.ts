// The tasks view's tree: a revision (`parentId`) is shown under the first task of
// its chain, so the versions of one hand-off stay together, newest first.
import type { TaskRecord } from './taskRecord';

export interface TaskTree {
  roots: TaskRecord[];
  children: Map<string, TaskRecord[]>;
}

/** `records` (newest first) as roots and the revisions under each root. A parent
 * that is not in the list (removed, or from another server) leaves its revision a root. */
export function nestRevisions(records: readonly TaskRecord[]): TaskTree {
  const byId = new Map(records.map((r) => [r.taskId, r]));
  const rootOf = (task: TaskRecord): TaskRecord => {
    let current = task;
    const seen = new Set<string>([task.taskId]);
    while (current.parentId !== null) {
      const parent = byId.get(current.parentId);
      if (parent === undefined || seen.has(parent.taskId)) {
        break;
      }
      seen.add(parent.taskId);
      current = parent;
    }
    return current;
  };
  const roots: TaskRecord[] = [];
  const children = new Map<string, TaskRecord[]>();
  for (const record of records) {
    const root = rootOf(record);
    if (root === record) {
      roots.push(record);
    } else {
      const list = children.get(root.taskId) ?? [];
      list.push(record);
      children.set(root.taskId, list);
    }
  }
  return { roots, children };
}
