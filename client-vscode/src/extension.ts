import * as vscode from 'vscode';
import { ApiKey } from './apiKey';
import { ArtifactViewer } from './artifactView';
import { registerCommands } from './commands';
import { ServerConnection } from './connection';
import { Notifications } from './notifications';
import { ManagedServer } from './managedServer';
import { HandoffLog, type Handoff } from './pure/handoffs';
import { StatusBar } from './statusBar';
import { Tasks } from './tasks';
import { TasksView } from './tasksView';

const HANDOFFS_KEY = 'cowork.handoffs';

let connection: ServerConnection | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('cowork', { log: true });
  const tasks = new Tasks();
  const handoffs = new HandoffLog(context.workspaceState.get<Array<[string, Handoff]>>(HANDOFFS_KEY, []));
  const apiKey = new ApiKey(context.secrets);
  const server = new ServerConnection(
    output,
    tasks,
    handoffs,
    () => void context.workspaceState.update(HANDOFFS_KEY, handoffs.toJSON()),
    apiKey,
    new ManagedServer(context.globalStorageUri, context.extensionUri, output),
  );
  connection = server;
  const artifacts = new ArtifactViewer(tasks, output, context.extensionUri);
  server.showDocument = async (params) => {
    const uri = vscode.Uri.parse(params.uri);
    if (params.external === true || !ArtifactViewer.isArtifact(uri)) {
      return false;
    }
    const selection =
      params.selection === undefined
        ? undefined
        : new vscode.Range(params.selection.start.line, params.selection.start.character, params.selection.end.line, params.selection.end.character);
    await artifacts.open(uri, { preserveFocus: params.takeFocus !== true, selection });
    return true;
  };

  context.subscriptions.push(
    output,
    tasks,
    apiKey,
    server,
    artifacts,
    new TasksView(tasks, handoffs),
    new StatusBar(tasks, server),
    new Notifications(tasks, server, output, context.extensionUri),
    ...registerCommands({ server, tasks, handoffs, apiKey, output, artifacts }),
    // The key is in the server's environment, which only a new process picks up.
    apiKey.onDidChange(() => {
      output.info('the Anthropic API key changed: restarting the cowork server');
      void server.restart();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cowork.server.command') || e.affectsConfiguration('cowork.server.autoInstall')) {
        void server.restart();
      }
    }),
  );

  void server.start();
}

export async function deactivate(): Promise<void> {
  await connection?.stop();
  connection = undefined;
}
