import * as vscode from 'vscode';
import type { TaskRecord } from './pure/taskRecord';
import { TaskStore, type Transition } from './pure/taskStore';

/** The task store with change events for the view, the status bar and the notifications. */
export class Tasks implements vscode.Disposable {
  readonly store = new TaskStore();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly transitioned = new vscode.EventEmitter<Transition>();
  /** Anything changed: redraw. */
  readonly onDidChange = this.changed.event;
  /** A live change of one task (a notification, not a snapshot). */
  readonly onDidTransition = this.transitioned.event;

  update(record: TaskRecord): void {
    const transition = this.store.update(record);
    this.transitioned.fire(transition);
    this.changed.fire();
  }

  beginSnapshot(): void {
    this.store.beginSnapshot();
  }

  applySnapshot(records: readonly TaskRecord[]): void {
    this.store.applySnapshot(records);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
    this.transitioned.dispose();
  }
}
