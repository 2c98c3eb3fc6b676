// Which process is the cowork language server. No vscode import: the
// file-system and process checks are passed in, so every branch is unit-tested.
import * as path from 'node:path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, for messages and the log. */
  origin: 'setting' | 'workspace .venv' | 'PATH' | 'managed';
}

export type Resolution =
  | { ok: true; server: ServerCommand }
  /** `notFound`: nothing configured and nothing found, so the managed server may stand in. */
  | { ok: false; error: string; notFound?: boolean };

export interface ResolveInput {
  /** The raw `cowork.server.command` value. */
  setting: unknown;
  /** Workspace folder paths, in the workspace's order. */
  folders: readonly string[];
  home: string;
  platform: NodeJS.Platform;
  /** True when this interpreter can `import cowork`. */
  hasCowork: (python: string) => Promise<boolean>;
  /** True when the path names an existing file (interpreters are only tried when they exist). */
  exists: (file: string) => boolean;
}

/** Split one command line at unquoted white space; single and double quotes group, backslash escapes in double quotes. */
export function splitCommandLine(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let started = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote !== undefined) {
      if (ch === quote) {
        quote = undefined;
      } else if (ch === '\\' && quote === '"' && i + 1 < text.length && '"\\'.includes(text[i + 1])) {
        current += text[++i];
      } else {
        current += ch;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) {
        parts.push(current);
        current = '';
        started = false;
      }
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote !== undefined) {
    throw new Error(`unbalanced ${quote} quote`);
  }
  if (started) {
    parts.push(current);
  }
  return parts;
}

export function expandVariables(part: string, vars: { workspaceFolder?: string; home: string }): string {
  let out = part.replace(/\$\{workspaceFolder\}/g, () => {
    if (vars.workspaceFolder === undefined) {
      throw new Error('${workspaceFolder} is used but no folder is open');
    }
    return vars.workspaceFolder;
  });
  if (out === '~' || out.startsWith('~/')) {
    out = vars.home + out.slice(1);
  }
  return out;
}

/** The setting as a command, undefined when it is unset (empty), or an error naming what is wrong. */
export function parseCommandSetting(
  value: unknown,
  vars: { workspaceFolder?: string; home: string },
): { command: string[] } | { error: string } | undefined {
  let parts: string[];
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value === 'string') {
    try {
      parts = splitCommandLine(value);
    } catch (e) {
      return { error: `cowork.server.command: ${(e as Error).message} in ${JSON.stringify(value)}` };
    }
  } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    parts = value as string[];
  } else {
    return { error: 'cowork.server.command must be an array of strings or one string' };
  }
  if (parts.length === 0 || parts[0].trim() === '') {
    return parts.length === 0 ? undefined : { error: 'cowork.server.command starts with an empty program name' };
  }
  try {
    return { command: parts.map((p) => expandVariables(p, vars)) };
  } catch (e) {
    return { error: `cowork.server.command: ${(e as Error).message}` };
  }
}

export function venvPython(folder: string, platform: NodeJS.Platform): string {
  return platform === 'win32'
    ? path.win32.join(folder, '.venv', 'Scripts', 'python.exe')
    : path.posix.join(folder, '.venv', 'bin', 'python');
}

/**
 * The configured command; else the first workspace folder's `.venv` interpreter
 * that has cowork installed; else `cowork serve` from PATH.
 */
export async function resolveServerCommand(input: ResolveInput): Promise<Resolution> {
  const parsed = parseCommandSetting(input.setting, { workspaceFolder: input.folders[0], home: input.home });
  if (parsed !== undefined) {
    if ('error' in parsed) {
      return { ok: false, error: parsed.error };
    }
    const [command, ...args] = parsed.command;
    return { ok: true, server: { command, args, origin: 'setting' } };
  }
  for (const folder of input.folders) {
    const python = venvPython(folder, input.platform);
    if (input.exists(python) && (await input.hasCowork(python))) {
      return { ok: true, server: { command: python, args: ['-m', 'cowork', 'serve'], origin: 'workspace .venv' } };
    }
  }
  return { ok: true, server: { command: 'cowork', args: ['serve'], origin: 'PATH' } };
}

/**
 * Where `command` would be found (a path, or a name looked up in PATH), or
 * undefined. Checked before starting so that a missing program gets the
 * install instructions instead of a bare spawn error.
 */
export function findExecutable(
  command: string,
  env: { PATH?: string; PATHEXT?: string; cwd?: string },
  platform: NodeJS.Platform,
  isExecutable: (file: string) => boolean,
): string | undefined {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const extensions = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  const candidates = (base: string) => extensions.map((ext) => base + ext);
  if (command.includes('/') || (platform === 'win32' && command.includes('\\'))) {
    const full = p.isAbsolute(command) ? command : p.resolve(env.cwd ?? '', command);
    return candidates(full).find(isExecutable);
  }
  const delimiter = platform === 'win32' ? ';' : ':';
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') {
      continue;
    }
    const found = candidates(p.join(dir, command)).find(isExecutable);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

export function describeCommand(server: ServerCommand): string {
  return [server.command, ...server.args].map((part) => (/\s/.test(part) ? JSON.stringify(part) : part)).join(' ');
}

/**
 * Whether the server the extension manages should stand in: nothing was
 * configured or found, or the `cowork` found on PATH did not start (an old or
 * broken install). A configured command or a workspace `.venv` that fails is
 * the person's choice, and its error is shown instead.
 */
export function useManagedServer(resolution: Resolution, startError?: string): boolean {
  if (!resolution.ok) {
    return resolution.notFound === true;
  }
  return resolution.server.origin === 'PATH' && startError !== undefined;
}
