// The README that goes into the .vsix: links out of client-vscode/ (the main
// README, the screenshots in docs/) mean nothing inside an installed
// extension, so the screenshots travel in the package and other such links
// become text.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const docs = path.join(clientDir, '..', 'docs');
const out = path.join(clientDir, 'dist');
mkdirSync(out, { recursive: true });

let readme = readFileSync(path.join(clientDir, 'README.md'), 'utf8');
readme = readme.replace(/^!\[([^\]]*)\]\(\.\.\/docs\/([\w.-]+\.png)\)\n\n/gm, (line, alt, name) => {
  if (!existsSync(path.join(docs, name))) {
    return '';
  }
  copyFileSync(path.join(docs, name), path.join(out, name));
  return `![${alt}](dist/${name})\n\n`;
});
readme = readme.replace(/(?<!!)\[([^\]]+)\]\(\.\.\/[^)]*\)/g, '$1');
writeFileSync(path.join(out, 'README.md'), readme);
