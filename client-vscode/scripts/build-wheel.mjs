// The cowork server wheel that travels in the .vsix (dist/server/), so that
// the extension can install its own server when none is found. Built from the
// repository root with pip, which fetches the build backend from the package
// index: a fresh clone needs nothing but Python 3.11+.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.dirname(clientDir);
const out = path.join(clientDir, 'dist', 'server');

// The repository's own environment when there is one (make install), else the first Python on PATH.
const venvPython = path.join(repoRoot, '.venv', 'bin', 'python');
const python = process.env.COWORK_WHEEL_PYTHON ?? (existsSync(venvPython) ? venvPython : 'python3');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(python, ['-m', 'pip', 'wheel', '--no-deps', '--disable-pip-version-check', '--quiet', '--wheel-dir', out, repoRoot], {
  stdio: 'inherit',
});
const wheels = readdirSync(out).filter((f) => /^cowork-.*\.whl$/.test(f));
if (wheels.length !== 1) {
  throw new Error(`expected one cowork wheel in ${out}, found: ${wheels.join(', ') || 'none'}`);
}
console.log(`server wheel: dist/server/${wheels[0]}`);
