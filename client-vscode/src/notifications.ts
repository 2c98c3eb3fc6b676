import * as vscode from 'vscode';
import type { ServerConnection } from './connection';
import { INSTALL_FAILED, NOT_FOUND_TEXT } from './pure/managedServer';
import { autoCloseMs, linkedMessage, noticeFor, NoticeSlots, type Closable, type Notice } from './pure/notices';
import type { Tasks } from './tasks';

/** A progress notification that stays until closed: the one kind VS Code lets an extension take down. */
class ClosableNotice implements Closable {
  private resolve: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  readonly closedPromise: Promise<void>;

  constructor(title: string, closeAfterMs: number) {
    const shown = new Promise<void>((resolve) => (this.resolve = resolve));
    this.timer = setTimeout(() => this.close(), closeAfterMs);
    this.closedPromise = Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () => shown),
    );
  }

  close(): void {
    clearTimeout(this.timer);
    this.resolve?.();
    this.resolve = undefined;
  }
}

/**
 * Tells the user when a task is done or failed — the server leaves that to
 * the extension (initialization option `"notifications": "client"`) — and when
 * the server cannot start. One notification per task: a newer one replaces the
 * older. A finished task's notification closes by itself after
 * `cowork.notifications.autoCloseSeconds`; a failure stays until dismissed.
 */
export class Notifications implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private readonly slots = new NoticeSlots<Closable>();

  constructor(
    tasks: Tasks,
    server: ServerConnection,
    private readonly output: vscode.LogOutputChannel,
    private readonly extensionRoot: vscode.Uri,
  ) {
    this.subscriptions = [
      tasks.onDidTransition((t) => void this.onTransition(noticeFor(t))),
      server.onDidFailToStart((f) => void this.onStartFailure(f.reason)),
    ];
  }

  private async onTransition(notice: Notice | undefined): Promise<void> {
    if (notice === undefined) {
      return;
    }
    // Whatever this task showed before is out of date now.
    this.slots.close(notice.taskId);
    const closeAfter = autoCloseMs(vscode.workspace.getConfiguration('cowork').get('notifications.autoCloseSeconds'));
    if (notice.kind === 'done' && closeAfter > 0) {
      const shown = new ClosableNotice(linkedMessage(notice), closeAfter);
      this.slots.replace(notice.taskId, shown);
      void shown.closedPromise.then(() => this.slots.closed(notice.taskId, shown));
      return;
    }
    const actions = [...(notice.artifactUri === null ? [] : ['Open']), 'Show log'];
    const choice =
      notice.kind === 'done'
        ? await vscode.window.showInformationMessage(notice.message, ...actions)
        : await vscode.window.showErrorMessage(notice.message, ...actions);
    if (choice === 'Open') {
      await vscode.commands.executeCommand('cowork.client.task.open', notice.taskId);
    } else if (choice === 'Show log') {
      this.output.show(true);
    }
  }

  private async onStartFailure(reason: string): Promise<void> {
    const installFailed = reason.startsWith(INSTALL_FAILED);
    // Nothing found and the install offer declined (cowork.server.autoInstall off): offer it again.
    const notFound = reason.startsWith(NOT_FOUND_TEXT);
    const choice = await vscode.window.showErrorMessage(
      installFailed ? `cowork: ${reason}.` : `cowork: the language server could not start: ${reason}.`,
      ...(installFailed ? ['Show log', 'Retry', 'How to install'] : notFound ? ['Install', 'How to install'] : ['How to install', 'Show log']),
    );
    if (choice === 'Retry' || choice === 'Install') {
      await vscode.commands.executeCommand('cowork.client.installServer');
    } else if (choice === 'How to install') {
      await vscode.commands.executeCommand('markdown.showPreview', await this.readmeFile());
    } else if (choice === 'Show log') {
      this.output.show(true);
    }
  }

  /** vsce stores the README as readme.md; a development checkout has README.md. */
  private async readmeFile(): Promise<vscode.Uri> {
    for (const name of ['readme.md', 'README.md']) {
      const uri = vscode.Uri.joinPath(this.extensionRoot, name);
      try {
        await vscode.workspace.fs.stat(uri);
        return uri;
      } catch {
        // try the other spelling
      }
    }
    return vscode.Uri.joinPath(this.extensionRoot, 'README.md');
  }

  dispose(): void {
    this.slots.closeAll();
    this.subscriptions.forEach((d) => d.dispose());
  }
}
