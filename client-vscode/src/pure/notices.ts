import type { TaskRecord } from './taskRecord';
import type { Transition } from './taskStore';

export type Notice =
  | { kind: 'done'; message: string; artifactUri: string | null }
  | { kind: 'failed'; message: string };

/** What to tell the user about a live state change, if anything. Cancels were the user's own doing. */
export function noticeFor(transition: Transition): Notice | undefined {
  const { previous, current } = transition;
  if (previous?.state === current.state) {
    return undefined;
  }
  if (current.state === 'done') {
    return { kind: 'done', message: `cowork: ${current.title} is done.`, artifactUri: current.artifactUri };
  }
  if (current.state === 'failed') {
    return { kind: 'failed', message: failureText(current) };
  }
  return undefined;
}

/** The words the server itself uses for a failure (server/cowork/lsp/progress.py). */
export function failureText(task: TaskRecord): string {
  return `cowork: ${task.title} failed: ${task.error ?? 'no reason given'}`;
}

/**
 * The server also reports a failure with `window/showMessage`, in the words of
 * `failureText`. The extension shows its own notification (with "Show log"),
 * so that echo is dropped rather than shown twice.
 */
export function isFailureEcho(message: string, recentFailures: Iterable<TaskRecord>): boolean {
  for (const task of recentFailures) {
    if (message === failureText(task)) {
      return true;
    }
  }
  return false;
}
