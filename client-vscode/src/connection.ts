import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  type ErrorHandler,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type ShowDocumentParams,
  State,
} from 'vscode-languageclient/node';
import type { ApiKey } from './apiKey';
import type { ManagedServer } from './managedServer';
import { configurationMiddleware } from './configuration';
import { handoffOf, taskIdOf, type HandoffLog } from './pure/handoffs';
import { describeCommand, useManagedServer, type ServerCommand } from './pure/serverCommand';
import type { ServerState } from './pure/statusText';
import { parseTaskList, parseTaskRecord } from './pure/taskRecord';
import type { CommandArg } from './pure/taskArgs';
import { resolveServer, workspaceFolderPaths } from './serverResolver';
import type { Tasks } from './tasks';

const TASK_CHANGED = 'cowork/taskChanged';
const STOP_TIMEOUT_MS = 5_000;

/** Opens a document the server asks for; true when it handled it, false to leave it to VS Code's default. */
export type ShowDocumentHook = (params: ShowDocumentParams) => Promise<boolean>;

/**
 * While the extension starts the server it reports a failure itself, with
 * install instructions; languageclient's own "couldn't create connection"
 * notification would say the same thing less helpfully. It still goes to the log.
 */
class CoworkLanguageClient extends LanguageClient {
  quiet = false;

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.quiet ? false : showNotification);
  }
}

export interface StartFailure {
  reason: string;
}

/** The cowork language server: started, restarted, asked to run commands. */
export class ServerConnection implements vscode.Disposable {
  private client: CoworkLanguageClient | undefined;
  private state: ServerState = 'stopped';
  private readonly stateChanged = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateChanged.event;
  private readonly startFailed = new vscode.EventEmitter<StartFailure>();
  readonly onDidFailToStart = this.startFailed.event;
  // Start, stop and restart run one at a time, in the order asked.
  private queue: Promise<unknown> = Promise.resolve();
  /** Artifacts open read first (see ArtifactViewer); other documents as VS Code opens them. */
  showDocument: ShowDocumentHook | undefined;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly tasks: Tasks,
    private readonly handoffs: HandoffLog,
    private readonly saveHandoffs: () => void,
    private readonly apiKey: ApiKey,
    private readonly managed: ManagedServer,
  ) {}

  get serverState(): ServerState {
    return this.state;
  }

  start(): Promise<void> {
    return this.serialize(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.serialize(() => this.doStop());
  }

  /** Installs (or updates) the server the extension manages, then restarts. */
  installAndRestart(): Promise<void> {
    return this.serialize(async () => {
      await this.doStop();
      this.setState('starting');
      const managed = await this.managed.ensure(true);
      if (!managed.ok) {
        this.fail(managed.error);
        return;
      }
      await this.doStart();
    });
  }

  restart(): Promise<void> {
    return this.serialize(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  /** Run a server command; task commands are remembered for re-run. */
  async execute(command: string, arg?: CommandArg): Promise<unknown> {
    const client = this.client;
    if (client === undefined || this.state !== 'running') {
      throw new Error(
        this.state === 'starting'
          ? 'the cowork server is still starting; try again in a moment'
          : 'the cowork server is not running (see "cowork: Show Log", or run "cowork: Restart Server")',
      );
    }
    const args = arg === undefined ? [] : [arg];
    const result = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    this.remember(command, args, result);
    return result;
  }

  private remember(command: string, args: readonly unknown[], result: unknown): void {
    const handoff = handoffOf(command, args);
    const taskId = taskIdOf(result);
    if (handoff !== undefined && taskId !== undefined) {
      this.handoffs.record(taskId, handoff);
      this.saveHandoffs();
    }
  }

  private serialize(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private setState(state: ServerState): void {
    this.state = state;
    this.stateChanged.fire(state);
  }

  private fail(reason: string): void {
    this.output.error(`cowork server not started: ${reason}`);
    this.setState('failed');
    this.startFailed.fire({ reason });
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    const resolution = await resolveServer();
    const startError = resolution.ok ? await this.startWith(resolution.server) : resolution.error;
    if (resolution.ok && startError === undefined) {
      return;
    }
    if (!useManagedServer(resolution, resolution.ok ? startError : undefined)) {
      this.fail(startError ?? 'the server did not start');
      return;
    }
    this.output.info(`${startError}: using the server the extension manages`);
    const managed = await this.managed.ensure();
    if (!managed.ok) {
      this.fail(managed.error);
      return;
    }
    const error = await this.startWith(managed.server);
    if (error !== undefined) {
      this.fail(error);
    }
  }

  /** Starts `server`; undefined when it runs, else why it does not. */
  private async startWith(server: ServerCommand): Promise<string | undefined> {
    this.output.info(`starting the cowork server (${server.origin}): ${describeCommand(server)}`);
    const key = await this.apiKey.get();
    const cwd = workspaceFolderPaths()[0];
    const serverOptions: ServerOptions = {
      command: server.command,
      args: server.args,
      // No `transport`: TransportKind.stdio would append `--stdio`, which `cowork serve` rejects.
      options: { cwd, env: key === undefined ? undefined : { ANTHROPIC_API_KEY: key } },
    };
    const client = new CoworkLanguageClient('cowork', 'cowork', serverOptions, this.clientOptions());
    this.client = client;
    client.onNotification(TASK_CHANGED, (params: unknown) => this.onTaskChanged(params));
    client.onDidChangeState((e) => {
      if (this.client !== client || client.quiet) {
        return;
      }
      // After the first start languageclient restarts a crashed server by itself.
      if (e.newState === State.Running) {
        this.setState('running');
        void this.refreshTasks(client);
      } else if (e.newState === State.Starting) {
        this.setState('starting');
      } else {
        this.setState('stopped');
      }
    });
    client.quiet = true;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      await client.dispose(STOP_TIMEOUT_MS).catch(() => undefined);
      return startErrorText(error, describeCommand(server));
    } finally {
      client.quiet = false;
    }
    this.setState('running');
    await this.refreshTasks(client);
    return undefined;
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      try {
        await client.stop(STOP_TIMEOUT_MS);
      } catch (error) {
        this.output.warn(`stopping the cowork server: ${String(error)}`);
      }
      await client.dispose(STOP_TIMEOUT_MS).catch(() => undefined);
    }
    this.setState('stopped');
  }

  private clientOptions(): LanguageClientOptions {
    let defaultHandler: ErrorHandler | undefined;
    const errorHandler: ErrorHandler = {
      error: (error, message, count) => {
        defaultHandler ??= this.client?.createDefaultErrorHandler(4);
        return defaultHandler?.error(error, message, count) ?? { action: ErrorAction.Shutdown };
      },
      closed: () => {
        if (this.client?.quiet !== false) {
          // A server that dies while starting is reported by doStart, not restarted in a loop.
          return { action: CloseAction.DoNotRestart, handled: true };
        }
        defaultHandler ??= this.client.createDefaultErrorHandler(4);
        return defaultHandler.closed();
      },
    };
    return {
      // Every file: the server offers code actions on any file and reads unsaved text as context.
      documentSelector: [{ scheme: 'file' }],
      outputChannel: this.output,
      synchronize: { configurationSection: 'cowork' },
      // The extension announces finished and failed tasks itself (Notifications), with its own actions.
      initializationOptions: { notifications: 'client' },
      errorHandler,
      initializationFailedHandler: () => false,
      middleware: {
        workspace: configurationMiddleware,
        window: {
          showDocument: async (params, token, next) => {
            try {
              if ((await this.showDocument?.(params)) === true) {
                return { success: true };
              }
            } catch (error) {
              this.output.warn(`opening ${params.uri}: ${String(error)}`);
            }
            return next(params, token);
          },
        },
        // Code actions run server commands through languageclient: remember those hand-offs too.
        executeCommand: async (command, args, next) => {
          const result: unknown = await next(command, args);
          this.remember(command, args, result);
          return result;
        },
      },
    };
  }

  private onTaskChanged(params: unknown): void {
    const record = parseTaskRecord(params);
    if (record === undefined) {
      this.output.warn(`ignoring a malformed ${TASK_CHANGED} notification: ${JSON.stringify(params)}`);
      return;
    }
    this.tasks.update(record);
  }

  private async refreshTasks(client: LanguageClient): Promise<void> {
    this.tasks.beginSnapshot();
    try {
      const result: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
        command: 'cowork.listTasks',
        arguments: [],
      });
      this.tasks.applySnapshot(parseTaskList(result));
    } catch (error) {
      this.output.error(`cowork.listTasks failed: ${String(error)}`);
      this.tasks.applySnapshot(this.tasks.store.list());
    }
  }

  dispose(): void {
    void this.stop();
    this.stateChanged.dispose();
    this.startFailed.dispose();
  }
}

function startErrorText(error: unknown, command: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/ENOENT/.test(message)) {
    return `"${command}" could not be run (not found)`;
  }
  return `"${command}" stopped before it answered (${message}); its own words are in the log`;
}
