// The README that goes into the .vsix: links out of client-vscode/ (the main
// README, the screenshot in docs/) mean nothing inside an installed extension,
// so the screenshot travels in the package and other such links become text.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const screenshot = path.join(clientDir, '..', 'docs', 'vscode-tasks.png');
const out = path.join(clientDir, 'dist');
mkdirSync(out, { recursive: true });

let readme = readFileSync(path.join(clientDir, 'README.md'), 'utf8');
if (existsSync(screenshot)) {
  copyFileSync(screenshot, path.join(out, 'vscode-tasks.png'));
  readme = readme.replace('](../docs/vscode-tasks.png)', '](dist/vscode-tasks.png)');
} else {
  readme = readme.replace(/^!\[[^\]]*\]\(\.\.\/docs\/vscode-tasks\.png\)\n\n/m, '');
}
readme = readme.replace(/(?<!!)\[([^\]]+)\]\(\.\.\/[^)]*\)/g, '$1');
writeFileSync(path.join(out, 'README.md'), readme);
