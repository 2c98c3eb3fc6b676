import * as vscode from 'vscode';
import { rerunFor, type HandoffLog } from './pure/handoffs';
import { taskItemModel } from './pure/taskItem';
import type { TaskRecord } from './pure/taskRecord';
import { nestRevisions } from './pure/taskTree';
import type { Tasks } from './tasks';

export const TASKS_VIEW = 'cowork.tasks';
// Running and queued tasks show their elapsed time; redraw them this often.
const TICK_MS = 1000;

export class TasksView implements vscode.TreeDataProvider<TaskRecord>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TaskRecord | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly view: vscode.TreeView<TaskRecord>;

  constructor(
    private readonly tasks: Tasks,
    private readonly handoffs: HandoffLog,
  ) {
    this.view = vscode.window.createTreeView(TASKS_VIEW, { treeDataProvider: this, showCollapseAll: false });
    this.subscriptions.push(
      this.view,
      tasks.onDidChange(() => {
        this.changed.fire(undefined);
        this.tick();
      }),
    );
  }

  private tick(): void {
    const active = this.tasks.store.active().length > 0;
    if (active && this.timer === undefined) {
      this.timer = setInterval(() => this.tasks.store.active().forEach((t) => this.changed.fire(t)), TICK_MS);
    } else if (!active && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  getChildren(element?: TaskRecord): TaskRecord[] {
    const tree = nestRevisions(this.tasks.store.list());
    return element === undefined ? tree.roots : tree.children.get(element.taskId) ?? [];
  }

  getTreeItem(task: TaskRecord): vscode.TreeItem {
    const model = taskItemModel(task, Date.now(), {
      rerunnable: rerunFor(task, this.handoffs) !== undefined,
      hasBrief:
        task.briefUri !== null || this.handoffs.briefUri(task.taskId) !== undefined || task.artifactUri !== null || task.workspace !== null,
    });
    const revised = this.getChildren(task).length > 0; // its later versions, nested
    const item = new vscode.TreeItem(
      model.label,
      revised ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = model.id;
    item.description = model.description;
    item.tooltip = new vscode.MarkdownString(model.tooltip);
    item.iconPath = new vscode.ThemeIcon(
      model.icon.id,
      model.icon.color === undefined ? undefined : new vscode.ThemeColor(model.icon.color),
    );
    item.contextValue = model.contextValue;
    item.accessibilityInformation = { label: model.accessibilityLabel };
    item.command = { command: 'cowork.client.task.open', title: 'Open Artifact', arguments: [task.taskId] };
    return item;
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
    this.subscriptions.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}
