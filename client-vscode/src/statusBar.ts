import * as vscode from 'vscode';
import type { ServerConnection } from './connection';
import { statusModel } from './pure/statusText';
import type { Tasks } from './tasks';
import { TASKS_VIEW } from './tasksView';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('cowork.status', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly tasks: Tasks,
    private readonly server: ServerConnection,
  ) {
    this.item.name = 'cowork tasks';
    this.item.command = `${TASKS_VIEW}.focus`;
    this.subscriptions = [tasks.onDidChange(() => this.render()), server.onDidChangeState(() => this.render())];
    this.render();
    this.item.show();
  }

  private render(): void {
    const model = statusModel(this.tasks.store.counts(), this.server.serverState);
    this.item.text = model.text;
    this.item.tooltip = model.tooltip;
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
    this.item.dispose();
  }
}
