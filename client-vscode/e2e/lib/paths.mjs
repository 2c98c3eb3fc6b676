// Where things are, from this file's location (never hard-coded).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoRoot = path.dirname(clientDir);
export const resultsDir = path.join(clientDir, 'test-results');
export const docsDir = path.join(repoRoot, 'docs');
export const python = path.join(repoRoot, '.venv', 'bin', 'python');
export const chromiumPath = '/usr/bin/chromium';

const CODE_SERVER_VERSION = '4.100.3';
export const codeServerBin = path.join(
  clientDir, '.e2e-cache', `code-server-${CODE_SERVER_VERSION}`, 'node_modules', '.bin', 'code-server',
);

/** The .vsix `npm run package` makes for the version in package.json. */
export function vsixPath() {
  const { name, version } = JSON.parse(readFileSync(path.join(clientDir, 'package.json'), 'utf8'));
  const file = path.join(clientDir, `${name}-${version}.vsix`);
  if (!readdirSync(clientDir).includes(path.basename(file))) {
    throw new Error(`${file} is missing: run "npm run package" first`);
  }
  return file;
}
