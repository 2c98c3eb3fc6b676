import type { TaskRecord } from './taskRecord';
import type { Transition } from './taskStore';

export type Notice =
  | { kind: 'done'; taskId: string; title: string; message: string; artifactUri: string | null }
  | { kind: 'failed'; taskId: string; title: string; message: string; artifactUri: string | null };

/**
 * What to tell the user about a live state change, if anything. The server
 * stays quiet about finished and failed tasks (initialization option
 * `"notifications": "client"`), so this is the only announcement. Cancels were
 * the user's own doing.
 */
export function noticeFor(transition: Transition): Notice | undefined {
  const { previous, current } = transition;
  if (previous?.state === current.state) {
    return undefined;
  }
  const base = { taskId: current.taskId, title: current.title, artifactUri: current.artifactUri };
  if (current.state === 'done') {
    return { kind: 'done', ...base, message: `cowork: ${current.title} is done.` };
  }
  if (current.state === 'failed') {
    return { kind: 'failed', ...base, message: failureText(current) };
  }
  return undefined;
}

export function failureText(task: TaskRecord): string {
  return `cowork: ${task.title} failed: ${task.error ?? 'no reason given'}`;
}

/** A `command:` link VS Code renders in a notification's text (arguments as a JSON array). */
export function commandLink(label: string, command: string, args: readonly unknown[] = []): string {
  const query = args.length === 0 ? '' : `?${encodeURIComponent(JSON.stringify(args))}`;
  return `[${label}](command:${command}${query})`;
}

/** A title cut to `limit` characters, so that a one-line toast still shows the links after it. */
export function shortTitle(title: string, limit = 32): string {
  return title.length <= limit ? title : `${title.slice(0, limit - 1).trimEnd()}…`;
}

/**
 * The text of a notification that closes on its own. VS Code can close only a
 * progress notification, and those have no buttons, so its actions are links.
 */
export function linkedMessage(notice: Notice): string {
  const links = [];
  if (notice.artifactUri !== null) {
    links.push(commandLink('Open', 'cowork.client.task.open', [notice.taskId]));
  }
  links.push(commandLink('Show log', 'cowork.client.showLog'));
  const message = notice.message.replace(notice.title, shortTitle(notice.title));
  return `${message} ${links.join(' · ')}`;
}

/** A shown notification that can be taken down. */
export interface Closable {
  close(): void;
}

/** One notification per task: a newer one replaces the one shown before for the same task. */
export class NoticeSlots<H extends Closable> {
  private readonly shown = new Map<string, H>();

  /** Closes what `taskId` shows, then records `handle` in its place. */
  replace(taskId: string, handle: H): void {
    this.shown.get(taskId)?.close();
    this.shown.set(taskId, handle);
  }

  /** Forgets `handle` once it is closed, unless a newer one took its place. */
  closed(taskId: string, handle: H): void {
    if (this.shown.get(taskId) === handle) {
      this.shown.delete(taskId);
    }
  }

  /** Closes what `taskId` shows, if anything. */
  close(taskId: string): void {
    const handle = this.shown.get(taskId);
    this.shown.delete(taskId);
    handle?.close();
  }

  get size(): number {
    return this.shown.size;
  }

  closeAll(): void {
    const all = [...this.shown.values()];
    this.shown.clear();
    all.forEach((h) => h.close());
  }
}

/** The `cowork.notifications.autoCloseSeconds` value as milliseconds; 0 or less means never. */
export function autoCloseMs(value: unknown, fallbackSeconds = 10): number {
  const seconds = typeof value === 'number' && Number.isFinite(value) ? value : fallbackSeconds;
  return seconds <= 0 ? 0 : Math.round(seconds * 1000);
}
