// The server the extension installs itself when none is configured or found:
// the cowork wheel inside the .vsix, installed into a virtual environment in
// the extension's global storage. What to do when, and what to say when it
// cannot be done; the processes and files are in src/managedServer.ts.
import * as path from 'node:path';

export const MIN_PYTHON: readonly [number, number] = [3, 11];

export interface WheelId {
  /** The wheel's file name, e.g. cowork-0.1.0-py3-none-any.whl. */
  file: string;
  sha256: string;
}

export interface ManagedLayout {
  root: string;
  venv: string;
  python: string;
  /** Which wheel was installed there last (JSON WheelId). */
  marker: string;
}

export function managedLayout(storage: string, platform: NodeJS.Platform): ManagedLayout {
  const root = path.join(storage, 'server');
  const venv = path.join(root, 'venv');
  const python = platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
  return { root, venv, python, marker: path.join(root, 'installed.json') };
}

/** The newest `cowork-*.whl` among `files` (the .vsix carries one). */
export function pickWheel(files: readonly string[]): string | undefined {
  const wheels = files.filter((f) => /^cowork-[^-]+-.*\.whl$/.test(f));
  return wheels.sort((a, b) => compareVersions(wheelVersion(b), wheelVersion(a)))[0];
}

export function wheelVersion(file: string): string {
  return /^cowork-([^-]+)-/.exec(file)?.[1] ?? '0';
}

/** PEP 440 release segments only (enough for cowork's own versions): -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[^0-9]+/).filter((p) => p !== '').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) {
      return Math.sign(d);
    }
  }
  return 0;
}

export type Plan =
  | { action: 'use' }
  | { action: 'install'; upgrade: boolean }
  | { action: 'offer'; upgrade: boolean }
  | { action: 'unavailable'; reason: string };

export interface PlanInput {
  bundled: WheelId | undefined;
  /** What the marker says was installed; undefined when nothing was. */
  installed: WheelId | undefined;
  /** The environment's interpreter exists and imports cowork. */
  works: boolean;
  autoInstall: boolean;
  /** The person asked for it (a command or a button): no asking again. */
  requested: boolean;
}

/**
 * Use the managed environment as it is, install into it (or upgrade it: a
 * bundled wheel that differs from the installed one is the newer, since it
 * came with the extension now running), or ask first.
 */
export function planManaged(input: PlanInput): Plan {
  const { bundled, installed, works } = input;
  if (bundled === undefined) {
    return works
      ? { action: 'use' }
      : { action: 'unavailable', reason: 'this build of the extension carries no cowork wheel to install' };
  }
  const current = works && installed !== undefined && installed.sha256 === bundled.sha256;
  if (current && !input.requested) {
    return { action: 'use' };
  }
  const upgrade = installed !== undefined;
  return input.autoInstall || input.requested ? { action: 'install', upgrade } : { action: 'offer', upgrade };
}

export interface Interpreter {
  path: string;
  /** Where it came from, for the log and for messages. */
  source: string;
  /** [major, minor], or undefined when it would not run. */
  version: readonly [number, number] | undefined;
}

export function parseVersion(text: string): readonly [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(text);
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

function atLeast(v: readonly [number, number], min: readonly [number, number]): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
}

/** The first interpreter that is new enough, or why none is. */
export function chooseInterpreter(candidates: readonly Interpreter[]): { python: Interpreter } | { error: string } {
  const good = candidates.find((c) => c.version !== undefined && atLeast(c.version, MIN_PYTHON));
  if (good !== undefined) {
    return { python: good };
  }
  const need = `Python ${MIN_PYTHON.join('.')} or newer`;
  if (candidates.length === 0) {
    return { error: `no Python found: cowork needs ${need} (none selected in the Python extension, and no python3 on the PATH VS Code sees)` };
  }
  const seen = candidates.map((c) => `${c.path} (${c.source}): ${c.version === undefined ? 'would not run' : c.version.join('.')}`);
  return { error: `no suitable Python: cowork needs ${need}; found ${seen.join('; ')}` };
}

/** The candidates to try, in order: the Python extension's selection, then python3 names on PATH. */
export const PATH_PYTHONS = ['python3', 'python3.13', 'python3.12', 'python3.11', 'python'] as const;

/** The line of pip's output that says what went wrong, if there is one. */
export function pipError(output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const errors = lines.filter((l) => /^ERROR:/.test(l) && !/^ERROR: No matching distribution/.test(l));
  const first = errors[0] ?? lines.find((l) => /^ERROR:/.test(l));
  if (first === undefined) {
    return undefined;
  }
  const offline = /Could not find a version|No matching distribution|Failed to establish a new connection|Name or service not known|Temporary failure in name resolution|NewConnectionError|ProxyError|SSLError/i.test(
    output,
  );
  return offline ? `${first.replace(/^ERROR:\s*/, '')} (is the package index reachable from this machine?)` : first.replace(/^ERROR:\s*/, '');
}

export const INSTALL_FAILED = 'the language server could not be installed';

/** What a failed set-up tells the person: the cause, and why a terminal's cowork may not count. */
export function installFailureText(cause: string): string {
  return (
    `${INSTALL_FAILED}: ${cause}. ` +
    'VS Code looks programs up on the PATH of your login shell, which may differ from a terminal\'s; ' +
    'set cowork.server.command to a cowork you installed, or fix the cause and run "cowork: Install or Update the Server". ' +
    'The details are in the log'
  );
}

/** Why nothing was found to run, for the "install it?" question and for the log. */
export const NOT_FOUND_TEXT =
  'no cowork language server was found (cowork.server.command is not set, the workspace has no .venv with cowork, ' +
  'and "cowork" is not on the PATH VS Code sees, which is your login shell\'s)';
