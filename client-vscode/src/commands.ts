import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ApiKey } from './apiKey';
import { ArtifactViewer } from './artifactView';
import type { ServerConnection } from './connection';
import { rerunFor, type HandoffLog } from './pure/handoffs';
import { isActive, parseTaskRecord, type TaskRecord } from './pure/taskRecord';
import { architectureArgs, changeArgs, newBriefArgs, researchArgs, summarizeArgs } from './pure/taskArgs';
import * as prompts from './prompts';
import type { Tasks } from './tasks';
import { TASKS_VIEW } from './tasksView';

export interface CommandContext {
  server: ServerConnection;
  tasks: Tasks;
  handoffs: HandoffLog;
  apiKey: ApiKey;
  output: vscode.LogOutputChannel;
  artifacts: ArtifactViewer;
}

class UserError extends Error {}

/** Errors become one notification naming what went wrong (the server's InvalidParams messages are written for people). */
function guarded(run: (...args: never[]) => Promise<unknown>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    try {
      await run(...(args as never[]));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      void vscode.window.showErrorMessage(`cowork: ${message}`);
    }
  };
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const { server, tasks, handoffs } = ctx;

  const taskOf = (target: unknown): TaskRecord => {
    const id = typeof target === 'string' ? target : (target as TaskRecord | undefined)?.taskId;
    const task = id === undefined ? undefined : tasks.store.get(id);
    if (task === undefined) {
      throw new UserError('no such task (pick one in the cowork Tasks view)');
    }
    return task;
  };

  const commands: Record<string, (...args: never[]) => Promise<unknown>> = {
    'cowork.client.summarize': async (clicked?: vscode.Uri) => {
      const target = clicked instanceof vscode.Uri ? clicked : prompts.activeFile();
      if (typeof target === 'string') {
        throw new UserError(target);
      }
      await server.execute('cowork.summarizeModule', summarizeArgs(target.toString()));
    },

    'cowork.client.review': async () => {
      const answer = await prompts.askChange('review');
      if (answer !== undefined) {
        await server.execute('cowork.reviewChanges', changeArgs({ ...answer, uri: prompts.activeFileUri() }));
      }
    },

    'cowork.client.draftDocs': async () => {
      const answer = await prompts.askChange('docs');
      if (answer !== undefined) {
        await server.execute('cowork.draftDocs', changeArgs({ ...answer, uri: prompts.activeFileUri() }));
      }
    },

    // From the explorer: (clicked, selection); from the palette: nothing, so ask.
    'cowork.client.architectureBrief': async (clicked?: vscode.Uri, selection?: vscode.Uri[]) => {
      let folders = Array.isArray(selection) && selection.length > 0 ? selection : clicked instanceof vscode.Uri ? [clicked] : undefined;
      folders ??= await prompts.askFolders();
      if (folders === undefined) {
        return;
      }
      const focus = await prompts.askFocus();
      if (focus === undefined) {
        return;
      }
      await server.execute('cowork.architectureBrief', architectureArgs(folders.map((u) => u.toString()), focus));
    },

    'cowork.client.research': async () => {
      const answer = await prompts.askResearch();
      if (answer !== undefined) {
        await server.execute('cowork.research', researchArgs(answer.question, answer.options));
      }
    },

    'cowork.client.newBrief': async () => {
      const kind = await prompts.askBriefKind();
      if (kind === undefined) {
        return;
      }
      let uris: string[] = [];
      if (kind === 'summarize') {
        const file = prompts.activeFile();
        if (typeof file === 'string') {
          throw new UserError(file);
        }
        uris = [file.toString()];
      } else if (kind === 'architecture') {
        const folders = await prompts.askFolders();
        if (folders === undefined) {
          return;
        }
        uris = folders.map((u) => u.toString());
      }
      // The server writes the brief and opens it (window/showDocument).
      await server.execute('cowork.newBrief', newBriefArgs(kind, uris));
    },

    'cowork.client.showTasks': async () => {
      await vscode.commands.executeCommand(`${TASKS_VIEW}.focus`);
    },

    'cowork.client.cancelTask': async () => {
      const active = tasks.store.active();
      if (active.length === 0) {
        void vscode.window.showInformationMessage('cowork: no task is running or queued.');
        return;
      }
      const picked = await vscode.window.showQuickPick(
        active.map((t) => ({ label: t.title, description: t.state, detail: t.kind, taskId: t.taskId })),
        { title: 'cowork: Cancel Task', placeHolder: 'Which task should stop?' },
      );
      if (picked !== undefined) {
        await cancel(picked.taskId);
      }
    },

    'cowork.client.openArtifactsFolder': async () => {
      const folder = await prompts.pickWorkspaceFolder('Open the artifacts of which folder?');
      if (folder === undefined) {
        throw new UserError('open a folder first: artifacts live in its .cowork/artifacts/');
      }
      await revealFolder(vscode.Uri.joinPath(folder.uri, '.cowork', 'artifacts'), 'No artifacts yet: hand off a task first.');
    },

    'cowork.client.setApiKey': async () => {
      // Storing fires the secret's change event, which restarts the server (see extension.ts).
      await ctx.apiKey.prompt();
    },

    'cowork.client.restartServer': async () => {
      await server.restart();
    },

    'cowork.client.installServer': async () => {
      await server.installAndRestart();
    },

    'cowork.client.showLog': async () => {
      ctx.output.show(true);
    },

    'cowork.client.task.open': async (target?: TaskRecord | string) => {
      const task = taskOf(target);
      if (task.artifactUri !== null) {
        await ctx.artifacts.open(vscode.Uri.parse(task.artifactUri));
      } else if (task.state === 'failed') {
        const choice = await vscode.window.showErrorMessage(`cowork: ${task.title} failed: ${task.error ?? 'no reason given'}`, 'Show log');
        if (choice === 'Show log') {
          ctx.output.show(true);
        }
      } else if (isActive(task.state)) {
        void vscode.window.showInformationMessage(`cowork: ${task.title} is ${task.state}; its artifact opens when it is done.`);
      } else {
        void vscode.window.showInformationMessage(`cowork: ${task.title} was ${task.state} and has no artifact.`);
      }
    },

    // The editor title buttons of an artifact: its Markdown text, or its preview.
    'cowork.client.artifact.showSource': async (clicked?: vscode.Uri) => {
      const uri = clicked instanceof vscode.Uri ? clicked : ctx.artifacts.activeArtifact();
      if (uri === undefined) {
        throw new UserError('open an artifact first');
      }
      await ctx.artifacts.open(uri, { as: 'source' });
    },

    'cowork.client.artifact.showPreview': async (clicked?: vscode.Uri) => {
      const uri = clicked instanceof vscode.Uri ? clicked : vscode.window.activeTextEditor?.document.uri;
      if (uri === undefined || !ArtifactViewer.isArtifact(uri)) {
        throw new UserError('open an artifact (a file in .cowork/artifacts/) first');
      }
      await ctx.artifacts.open(uri, { as: 'preview' });
    },

    'cowork.client.task.cancel': async (target?: TaskRecord | string) => {
      await cancel(taskOf(target).taskId);
    },

    'cowork.client.task.rerun': async (target?: TaskRecord | string) => {
      const task = taskOf(target);
      const handoff = rerunFor(task, handoffs);
      if (handoff === undefined) {
        throw new UserError(`the server did not record how ${task.title} was started, so it cannot be re-run from here`);
      }
      await server.execute(handoff.command, handoff.arg);
    },

    'cowork.client.task.openBrief': async (target?: TaskRecord | string) => {
      const task = taskOf(target);
      const briefUri = task.briefUri ?? handoffs.briefUri(task.taskId);
      if (briefUri !== undefined) {
        await vscode.window.showTextDocument(vscode.Uri.parse(briefUri), { preview: false });
      } else if (task.artifactUri !== null) {
        await showArtifactBrief(vscode.Uri.parse(task.artifactUri));
      } else if (task.workspace !== null) {
        await revealFolder(
          vscode.Uri.file(path.join(task.workspace, '.cowork', 'briefs')),
          'This task used its default brief, which its artifact records when it is done; no saved briefs yet.',
        );
      } else {
        throw new UserError('this task has no brief to show');
      }
    },
  };

  async function cancel(taskId: string): Promise<void> {
    const result = await server.execute('cowork.cancelTask', { taskId });
    // The notification brings the same record; applying the answer too keeps the view right if it is slow.
    const record = parseTaskRecord(result);
    if (record !== undefined) {
      tasks.update(record);
    }
  }

  return Object.entries(commands).map(([id, run]) => vscode.commands.registerCommand(id, guarded(run)));
}

async function revealFolder(folder: vscode.Uri, missing: string): Promise<void> {
  try {
    await vscode.workspace.fs.stat(folder);
  } catch {
    void vscode.window.showInformationMessage(`cowork: ${missing}`);
    return;
  }
  await vscode.commands.executeCommand('revealInExplorer', folder);
}

/** The artifact, scrolled to the brief its front matter records. */
async function showArtifactBrief(artifact: vscode.Uri): Promise<void> {
  const editor = await vscode.window.showTextDocument(artifact, { preview: false });
  const lines = editor.document.getText().split('\n');
  const line = lines.findIndex((l) => l.startsWith('brief:'));
  if (line >= 0) {
    const position = new vscode.Position(line, 0);
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.AtTop);
  }
}
