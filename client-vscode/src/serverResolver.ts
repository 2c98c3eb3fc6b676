// The vscode and file-system side of src/pure/serverCommand.ts.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { findExecutable, resolveServerCommand, type Resolution } from './pure/serverCommand';

const IMPORT_CHECK_TIMEOUT_MS = 15_000;

function hasCowork(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import cowork'], { timeout: IMPORT_CHECK_TIMEOUT_MS }, (error) => resolve(error === null));
  });
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return isFile(file);
  } catch {
    return false;
  }
}

export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

export async function resolveServer(): Promise<Resolution> {
  const folders = workspaceFolderPaths();
  const resolution = await resolveServerCommand({
    setting: vscode.workspace.getConfiguration('cowork').get('server.command'),
    folders,
    home: os.homedir(),
    platform: process.platform,
    hasCowork,
    exists: isFile,
  });
  if (!resolution.ok) {
    return resolution;
  }
  const { server } = resolution;
  const found = findExecutable(
    server.command,
    { PATH: process.env.PATH, PATHEXT: process.env.PATHEXT, cwd: folders[0] },
    process.platform,
    isExecutable,
  );
  if (found === undefined) {
    const where = server.origin === 'setting' ? 'set in cowork.server.command' : 'looked up in PATH';
    return {
      ok: false,
      error: `the program "${server.command}" (${where}) was not found or is not executable`,
      notFound: server.origin === 'PATH',
    };
  }
  return resolution;
}
