import * as vscode from 'vscode';
import type { ServerConnection } from './connection';
import { noticeFor } from './pure/notices';
import type { Tasks } from './tasks';

/**
 * Tells the user when a task is done or failed, and when the server cannot
 * start. The artifact itself is opened by the server (`window/showDocument`,
 * per `cowork.openArtifactOnCompletion`); "Open" here only brings it forward.
 */
export class Notifications implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];

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

  private async onTransition(notice: ReturnType<typeof noticeFor>): Promise<void> {
    if (notice === undefined) {
      return;
    }
    if (notice.kind === 'done') {
      const uri = notice.artifactUri;
      const choice = await vscode.window.showInformationMessage(notice.message, ...(uri === null ? [] : ['Open']));
      if (choice === 'Open' && uri !== null) {
        await vscode.window.showTextDocument(vscode.Uri.parse(uri), { preview: false });
      }
      return;
    }
    const choice = await vscode.window.showErrorMessage(notice.message, 'Show log');
    if (choice === 'Show log') {
      this.output.show(true);
    }
  }

  private async onStartFailure(reason: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(
      `cowork: the language server could not start: ${reason}.`,
      'How to install',
      'Show log',
    );
    if (choice === 'How to install') {
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
    this.subscriptions.forEach((d) => d.dispose());
  }
}
