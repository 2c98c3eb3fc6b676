// The vscode, file and process side of src/pure/managedServer.ts.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  chooseInterpreter,
  installFailureText,
  managedLayout,
  NOT_FOUND_TEXT,
  PATH_PYTHONS,
  parseVersion,
  pickWheel,
  pipError,
  planManaged,
  type Interpreter,
  type ManagedLayout,
  type WheelId,
} from './pure/managedServer';
import { findExecutable, type ServerCommand } from './pure/serverCommand';

const CHECK_TIMEOUT_MS = 20_000;
const VENV_TIMEOUT_MS = 120_000;
const PIP_TIMEOUT_MS = 15 * 60_000;
// An install lock older than this was left by a window that went away.
const LOCK_STALE_MS = 20 * 60_000;

export type Managed = { ok: true; server: ServerCommand } | { ok: false; error: string };

function run(command: string, args: string[], timeout = CHECK_TIMEOUT_MS): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ ok: error === null, out: `${stdout}${stderr}` }),
    );
  });
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The Python extension's selected interpreter for `folder`, when that extension is installed. */
async function selectedInterpreter(folder: vscode.Uri | undefined): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension('ms-python.python');
  if (extension === undefined) {
    return undefined;
  }
  try {
    const api = (extension.isActive ? extension.exports : await extension.activate()) as {
      environments?: {
        getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
        resolveEnvironment(env: { path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
      };
    };
    const active = api.environments?.getActiveEnvironmentPath(folder);
    if (active === undefined) {
      return undefined;
    }
    const resolved = await api.environments?.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}

/**
 * Installs the bundled cowork wheel into a virtual environment of its own in
 * the extension's global storage, and hands back the command that runs it.
 * Shared by every window: an install under way in one is waited for, not repeated.
 */
export class ManagedServer {
  private readonly layout: ManagedLayout;
  private running: Promise<Managed> | undefined;

  constructor(
    storage: vscode.Uri,
    private readonly extensionUri: vscode.Uri,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.layout = managedLayout(storage.fsPath, process.platform);
  }

  /** The managed server, installed or upgraded first when needed (asking first when `cowork.server.autoInstall` is off). */
  ensure(requested = false): Promise<Managed> {
    this.running ??= this.doEnsure(requested).finally(() => (this.running = undefined));
    return this.running;
  }

  private command(): ServerCommand {
    return { command: this.layout.python, args: ['-m', 'cowork', 'serve'], origin: 'managed' };
  }

  private bundledWheel(): { file: string; id: WheelId } | undefined {
    const dir = path.join(this.extensionUri.fsPath, 'dist', 'server');
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return undefined;
    }
    const name = pickWheel(names);
    if (name === undefined) {
      return undefined;
    }
    const file = path.join(dir, name);
    const sha256 = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    return { file, id: { file: name, sha256 } };
  }

  private installed(): WheelId | undefined {
    try {
      const raw = JSON.parse(fs.readFileSync(this.layout.marker, 'utf8')) as Partial<WheelId>;
      return typeof raw.file === 'string' && typeof raw.sha256 === 'string' ? { file: raw.file, sha256: raw.sha256 } : undefined;
    } catch {
      return undefined;
    }
  }

  private async works(): Promise<boolean> {
    return isExecutable(this.layout.python) && (await run(this.layout.python, ['-c', 'import cowork'])).ok;
  }

  private async doEnsure(requested: boolean): Promise<Managed> {
    // Every window shares the environment: one installs, the others wait for it.
    const lock = path.join(this.layout.root, '.installing');
    fs.mkdirSync(this.layout.root, { recursive: true });
    if (!(await this.acquire(lock))) {
      return { ok: false, error: installFailureText(`another VS Code window has been installing into ${this.layout.venv} for over ${LOCK_STALE_MS / 60_000} minutes`) };
    }
    try {
      return await this.plan(requested);
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }

  /** Takes the install lock (a directory: creating one is atomic), waiting while another window holds it. */
  private async acquire(lock: string): Promise<boolean> {
    const deadline = Date.now() + LOCK_STALE_MS;
    for (;;) {
      try {
        fs.mkdirSync(lock);
        return true;
      } catch {
        let age: number;
        try {
          age = Date.now() - fs.statSync(lock).mtimeMs;
        } catch {
          continue; // released meanwhile
        }
        if (age > LOCK_STALE_MS) {
          // Left by a window that was closed mid-install.
          fs.rmSync(lock, { recursive: true, force: true });
          continue;
        }
        if (Date.now() > deadline) {
          return false;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async plan(requested: boolean): Promise<Managed> {
    const bundled = this.bundledWheel();
    const autoInstall = vscode.workspace.getConfiguration('cowork').get<boolean>('server.autoInstall', true);
    const plan = planManaged({ bundled: bundled?.id, installed: this.installed(), works: await this.works(), autoInstall, requested });
    this.output.info(`managed server in ${this.layout.venv}: ${JSON.stringify(plan)}`);
    if (plan.action === 'use') {
      return { ok: true, server: this.command() };
    }
    if (plan.action === 'unavailable' || bundled === undefined) {
      return { ok: false, error: plan.action === 'unavailable' ? `${NOT_FOUND_TEXT}, and ${plan.reason}` : NOT_FOUND_TEXT };
    }
    if (plan.action === 'offer') {
      const install = plan.upgrade ? 'Update' : 'Install';
      const choice = await vscode.window.showInformationMessage(
        plan.upgrade
          ? 'cowork: this extension carries a newer language server than the one it installed. Update it?'
          : `cowork: ${NOT_FOUND_TEXT}. Install it into a virtual environment the extension manages?`,
        install,
        'Show log',
      );
      if (choice === 'Show log') {
        this.output.show(true);
      }
      if (choice !== install) {
        if (plan.upgrade && (await this.works())) {
          return { ok: true, server: this.command() };
        }
        return { ok: false, error: NOT_FOUND_TEXT };
      }
    }
    return this.install(bundled, plan.upgrade);
  }

  private async install(wheel: { file: string; id: WheelId }, upgrade: boolean): Promise<Managed> {
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: upgrade ? 'cowork: updating the language server' : 'cowork: installing the language server',
      },
      async (progress) => {
        try {
          await this.installSteps(wheel, progress);
          return { ok: true, server: this.command() } as const;
        } catch (error) {
          const cause = error instanceof Error ? error.message : String(error);
          this.output.error(`installing the cowork server failed: ${cause}`);
          return { ok: false, error: installFailureText(cause) } as const;
        }
      },
    );
  }

  private async installSteps(
    wheel: { file: string; id: WheelId },
    progress: vscode.Progress<{ message?: string }>,
  ): Promise<void> {
    fs.mkdirSync(this.layout.root, { recursive: true });
    if (!isExecutable(this.layout.python)) {
      progress.report({ message: 'finding Python…' });
      const python = await this.findPython();
      this.output.info(`creating ${this.layout.venv} with ${python.path} (${python.source}, Python ${python.version?.join('.')})`);
      progress.report({ message: `creating its environment with Python ${python.version?.join('.')}…` });
      // A half-made environment from an interrupted attempt would only get in the way.
      fs.rmSync(this.layout.venv, { recursive: true, force: true });
      const made = await this.stream(python.path, ['-m', 'venv', this.layout.venv], VENV_TIMEOUT_MS);
      if (!made.ok) {
        throw new Error(
          `"${python.path} -m venv" failed${/ensurepip|python3-venv/.test(made.out) ? ' (on Debian and Ubuntu: apt install python3-venv)' : ''}: ${lastLine(made.out)}`,
        );
      }
    }
    progress.report({ message: 'installing cowork and its dependencies from the package index…' });
    const pip = [this.layout.python, '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input'] as const;
    const installed = await this.stream(pip[0], [...pip.slice(1), '--upgrade', wheel.file], PIP_TIMEOUT_MS);
    if (!installed.ok) {
      throw new Error(`pip could not install cowork: ${pipError(installed.out) ?? lastLine(installed.out)}`);
    }
    // The same version number built anew: pip considers it installed already.
    const forced = await this.stream(pip[0], [...pip.slice(1), '--force-reinstall', '--no-deps', wheel.file], PIP_TIMEOUT_MS);
    if (!forced.ok) {
      throw new Error(`pip could not install cowork: ${pipError(forced.out) ?? lastLine(forced.out)}`);
    }
    const check = await run(this.layout.python, ['-c', 'import cowork']);
    if (!check.ok) {
      throw new Error(`cowork was installed but does not import: ${lastLine(check.out)}`);
    }
    fs.writeFileSync(this.layout.marker, JSON.stringify(wheel.id) + '\n');
    this.output.info(`the cowork server is installed in ${this.layout.venv} (${wheel.id.file})`);
  }

  private async findPython(): Promise<Interpreter> {
    const candidates: Interpreter[] = [];
    const probe = async (file: string, source: string) => {
      const answer = await run(file, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
      candidates.push({ path: file, source, version: answer.ok ? parseVersion(answer.out) : undefined });
    };
    const selected = await selectedInterpreter(vscode.workspace.workspaceFolders?.[0]?.uri);
    if (selected !== undefined) {
      await probe(selected, 'selected in the Python extension');
    }
    for (const name of PATH_PYTHONS) {
      const found = findExecutable(name, { PATH: process.env.PATH, PATHEXT: process.env.PATHEXT }, process.platform, isExecutable);
      if (found !== undefined && !candidates.some((c) => c.path === found)) {
        await probe(found, 'PATH');
      }
    }
    const chosen = chooseInterpreter(candidates);
    if ('error' in chosen) {
      throw new Error(chosen.error);
    }
    return chosen.python;
  }

  /** Runs a set-up step with its output going to the log as it comes. */
  private stream(command: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; out: string }> {
    this.output.info(`$ ${[command, ...args].join(' ')}`);
    return new Promise((resolve) => {
      let out = '';
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PIP_NO_INPUT: '1' } });
      const timer = setTimeout(() => {
        out += `\n(stopped after ${timeoutMs / 1000} s)`;
        child.kill();
      }, timeoutMs);
      const take = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        out += text;
        this.output.append(text);
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, out: `${out}\n${error.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ ok: code === 0, out });
      });
    });
  }
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1] ?? 'no output';
}
