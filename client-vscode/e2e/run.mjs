// End to end in real VS Code: code-server 4.100.3 + Debian chromium via
// playwright-core, the packaged .vsix, the real cowork server (offline provider).
//
//   npm run package && npm run e2e:install && npm run e2e
//   npm run e2e -- --update-screenshot   # also refreshes docs/vscode-tasks.png and docs/vscode-quick-fix.png
//   npm run e2e -- --keep                # leaves the temp profile, logs and workspace
//   npm run e2e -- --only-install        # only the fresh-profile install (or --skip-install)
//
// Screenshots go to test-results/. Exit status 0 only when every scenario passed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, installExtension, startCodeServer } from './lib/codeServer.mjs';
import { createFixture, filesContaining } from './lib/fixture.mjs';
import { coworkServers } from './lib/processes.mjs';
import { chromiumPath, codeServerBin, docsDir, python, resultsDir, vsixPath } from './lib/paths.mjs';
import { SHORT, visible, waitUntil, Workbench } from './lib/workbench.mjs';

// Nothing may hang: past this the run fails, and cleans up all the same.
const WHOLE_RUN_MS = 8 * 60_000;
// Creating the managed environment and installing cowork's dependencies from the package index.
const INSTALL_MS = 4 * 60_000;
// The offline provider's pretend writing time in the cancel scenario: long
// enough that the task is certainly still running when it is cancelled.
const SLOW_TASK_MS = 120_000;

const started = Date.now();
const updateScreenshot = process.argv.includes('--update-screenshot');
// For debugging a failure: leave the temp home, profile, logs and workspace in place.
const keep = process.argv.includes('--keep');
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (message) => console.log(`[e2e ${seconds()}s] ${message}`);
// The idle status bar: "cowork", with the count of drafts not yet marked reviewed.
const IDLE = /^cowork( · \d+ to review)?$/;

function preconditions() {
  const missing = [];
  if (!existsSync(codeServerBin)) missing.push(`code-server (${codeServerBin}): run "npm run e2e:install"`);
  if (!existsSync(chromiumPath)) missing.push(`${chromiumPath}: run "npm run e2e:install"`);
  if (!existsSync(python)) missing.push(`${python}: run "make install" in the repository root`);
  else {
    try {
      execFileSync(python, ['-c', 'import cowork'], { stdio: 'ignore' });
    } catch {
      missing.push(`cowork is not importable by ${python}: run "make install" in the repository root`);
    }
  }
  if (missing.length > 0) {
    throw new Error(`cannot run the e2e:\n  - ${missing.join('\n  - ')}`);
  }
  return vsixPath();
}

/** A screenshot that, with --update-screenshot, also goes to docs/ for the README. */
async function docsShot(page, name) {
  const shot = await screenshot(page, name);
  if (updateScreenshot) {
    const target = path.join(docsDir, `${name}.png`);
    mkdirSync(docsDir, { recursive: true });
    copyFileSync(shot, target);
    log(`  README screenshot updated: ${target}`);
  }
}

async function screenshot(page, name) {
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${path.relative(process.cwd(), file)}`);
  return file;
}

/** The answer, not provenance, is what the first screen of an artifact shows. */
function answerFirst(preview, heading) {
  if (!preview.firstScreen.includes(heading)) {
    throw new Error(`the first screen of the preview does not show "${heading}":\n${preview.firstScreen.slice(0, 400)}`);
  }
  const provenance = /sha256|taskId:|cacheReadTokens/.exec(preview.firstScreen);
  if (provenance !== null) {
    throw new Error(`the first screen of the preview shows provenance ("${provenance[0]}"):\n${preview.firstScreen.slice(0, 400)}`);
  }
}

async function scenarioSummarize(wb, page) {
  log('scenario 1: Summarize This Module; the artifact opens rendered, answer first, under a readable title');
  await wb.openFile('calc.py');
  await wb.runCommand('cowork: Summarize This Module');
  await wb.runCommand('cowork: Show Tasks');
  const row = await wb.taskRow('Summary of calc.py', 'done');
  log(`  Tasks view: "${row.label}" — ${row.state}, "${row.description}"`);
  const toast = await wb.notification(/Summary of calc\.py is done/, '"Summary of calc.py is done"');
  const links = (await toast.locator('a').allInnerTexts()).map((t) => t.trim());
  if (!links.includes('Open') || !links.includes('Show log')) {
    throw new Error(`the notification offers ${JSON.stringify(links)}, not Open and Show log`);
  }
  const tab = await wb.tab(/^Summary · calc\.py$/, 'the summary preview titled "Summary · calc.py"');
  log(`  artifact tab: ${tab}`);
  const preview = await wb.artifactPreview('Summary: calc.py');
  answerFirst(preview, 'Summary: calc.py');
  log(`  first screen of the preview starts: ${JSON.stringify(preview.firstScreen.slice(0, 80))}`);
  await wb.statusBar(IDLE, 'idle "cowork"');
  await screenshot(page, '01-summarize-done');
  // cowork.notifications.autoCloseSeconds is 8 in the fixture.
  await waitUntil('the "is done" notification to close by itself', async () => !(await toast.isVisible()), 20_000);
  log('  the notification closed by itself');
}

async function scenarioReview(wb, page) {
  log("scenario 2: Review This Branch's Changes, opened in the preview");
  await wb.runCommand("cowork: Review This Branch's Changes");
  await wb.answerInput('', 'Base to compare with');
  await wb.answerInput('Adds calc.subtract', 'What is the change supposed to do?');
  const row = await wb.taskRow('Review of this branch against its base', 'done');
  log(`  Tasks view: "${row.label}" — ${row.state}, "${row.description}"`);
  const tab = await wb.tab(/^Review · feature\/subtract/, 'the review preview titled "Review · feature/subtract…"');
  log(`  artifact tab: ${tab}`);
  await wb.clickTab(tab);
  const preview = await wb.artifactPreview("Review: this branch's changes");
  answerFirst(preview, "Review: this branch's changes");
  await wb.runCommand('Notifications: Clear All Notifications');
  if (updateScreenshot) {
    // The "is done" notification closes by itself; the README's picture is better without it.
    await waitUntil('the notifications to close', async () => (await page.locator('.notification-toast').count()) === 0, 20_000);
  }
  await page.mouse.move(900, 500); // no tab tooltip in the picture
  await docsShot(page, 'vscode-tasks');
}

async function scenarioFinding(wb, page) {
  log('scenario 2b: a finding opened from Problems (column 1), Ctrl+. names it first and dismisses it');
  await page.keyboard.press('Control+Shift+M');
  let rows = [];
  await waitUntil('the Problems panel to list the breakpoint and the print findings', async () => {
    rows = await wb.problems();
    return rows.some((r) => /debugger breakpoint/.test(r)) && rows.some((r) => /print\(\) call/.test(r));
  });
  log(`  Problems: ${rows.filter((r) => /cowork/.test(r)).join(' | ')}`);
  // As a person does: select the entry, Enter opens it in the editor with the focus there.
  await page.locator('.markers-panel .monaco-list-row', { hasText: 'debugger breakpoint' }).first().click();
  await page.keyboard.press('Enter');
  await wb.activeTab(/^calc\.py$/, 'calc.py');
  const line = Number(/debugger breakpoint.*?\[Ln (\d+), Col \d+\]/.exec(rows.join(' | '))[1]);
  const cursor = page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ });
  const position = async () => (await visible(cursor, 'the cursor position in the status bar').then((c) => c.innerText())).trim();
  log(`  opened from Problems: ${await position()}`);
  if (!(await position()).startsWith(`Ln ${line},`)) {
    throw new Error(`opening the finding of line ${line} from Problems left the cursor at ${await position()}: its range runs past its line`);
  }
  const fromProblems = await wb.codeActionMenu();
  log(`  Ctrl+. offers: ${fromProblems.join(' | ')}`);
  if (!/debugger breakpoint/.test(fromProblems[0] ?? '')) {
    throw new Error(`the first code action is "${fromProblems[0]}", not one for the breakpoint finding`);
  }
  await page.keyboard.press('Escape');
  // The cursor at column 1 of the finding's line, with the finding of the line above just before it.
  await page.keyboard.press('Control+G');
  await (await visible(page.locator('.quick-input-widget input'), 'Go to Line')).fill(`:${line}:1`);
  await page.keyboard.press('Enter');
  await waitUntil(`the cursor at Ln ${line}, Col 1`, async () => (await position()) === `Ln ${line}, Col 1`);
  const entries = await wb.codeActionMenu();
  log(`  at Ln ${line}, Col 1, Ctrl+. offers: ${entries.join(' | ')}`);
  if (!/debugger breakpoint/.test(entries[0] ?? '')) {
    throw new Error(`the first code action is "${entries[0]}", not one for the breakpoint finding`);
  }
  if (entries.some((e) => /print\(\) call/.test(e))) {
    throw new Error(`Ctrl+. at the breakpoint also offers the print() finding of the line above: ${entries.join(' | ')}`);
  }
  const dismiss = entries.findIndex((e) => /^Dismiss ".*debugger breakpoint.*"/.test(e));
  if (dismiss < 0) {
    throw new Error(`Ctrl+. offers no Dismiss "…debugger breakpoint…": ${entries.join(' | ')}`);
  }
  // The menu focuses its first entry; the arrow keys move as a person would.
  for (let i = 0; i < dismiss; i++) {
    await page.keyboard.press('ArrowDown');
  }
  await visible(page.locator('.action-widget .monaco-list-row.action.focused', { hasText: /^Dismiss / }), `the Dismiss entry focused`);
  await docsShot(page, 'vscode-quick-fix');
  await page.keyboard.press('Enter');
  await waitUntil('the breakpoint finding to leave Problems while the print finding stays', async () => {
    rows = await wb.problems();
    return !rows.some((r) => /debugger breakpoint/.test(r)) && rows.some((r) => /print\(\) call/.test(r));
  });
  log('  dismissed the breakpoint finding; the print finding on the line above stays');

  log('  Open "…" in the review, from the print() finding: the review preview scrolls to it');
  await page.keyboard.press('Control+G');
  await (await visible(page.locator('.quick-input-widget input'), 'Go to Line')).fill(`:${line - 1}:1`);
  await page.keyboard.press('Enter');
  await waitUntil(`the cursor at Ln ${line - 1}, Col 1`, async () => (await position()) === `Ln ${line - 1}, Col 1`);
  const onPrint = await wb.codeActionMenu();
  const open = onPrint.findIndex((e) => /^Open ".*print\(\) call.*" in the review$/.test(e));
  if (open < 0) {
    throw new Error(`Ctrl+. on the print() line offers no Open "…" in the review: ${onPrint.join(' | ')}`);
  }
  for (let i = 0; i < open; i++) {
    await page.keyboard.press('ArrowDown');
  }
  await visible(page.locator('.action-widget .monaco-list-row.action.focused', { hasText: /^Open / }), 'the Open entry focused');
  await page.keyboard.press('Enter');
  await wb.activeTab(/^Review · feature\/subtract/, 'the review preview');
  await waitUntil('the print() finding on the first screen of the review preview', async () => {
    const preview = await wb.artifactPreview("Review: this branch's changes", SHORT);
    return /print\(\) call/.test(preview.firstScreen);
  });
  log('  the review preview shows the finding on its first screen');
  // Keys pressed while a webview has the focus may not reach the workbench: back to the editor.
  await wb.clickTab('calc.py');
  await wb.runCommand('View: Hide Panel');
}

async function scenarioReload(wb) {
  log('scenario 2d: previews come back after a window reload');
  await wb.runCommand('Developer: Reload Window');
  await wb.ready();
  await wb.statusBar(IDLE, 'idle "cowork" after the reload', 60_000);
  const tab = await wb.tab(/^Review · feature\/subtract/, 'the review preview, restored', SHORT);
  await wb.clickTab(tab);
  await wb.artifactPreview("Review: this branch's changes", SHORT);
  log(`  ${tab} restored with its content`);
  await wb.clickTab('calc.py');
}

async function scenarioHandoffs(wb, page) {
  log('scenario 2c: the lightbulb / Ctrl+. on a Python file offers the hand-offs');
  await wb.openFile('helpers.py');
  const entries = await wb.codeActionMenu();
  log(`  Ctrl+. offers: ${entries.join(' | ')}`);
  for (const wanted of [/summari[sz]e this module/i, /review this branch/i, /new brief/i]) {
    if (!entries.some((e) => wanted.test(e))) {
      throw new Error(`Ctrl+. on helpers.py does not offer ${wanted}: ${entries.join(' | ')}`);
    }
  }
  await screenshot(page, '02c-handoffs');
  await page.keyboard.press('Escape');
}

async function scenarioCancel(wb, page, fixture) {
  log('scenario 3: cancel a slow task from the Tasks view');
  fixture.updateWorkspaceSettings({ 'cowork.offlineDelayMs': SLOW_TASK_MS });
  // The server logs the settings it applies: a task handed off before that would run fast.
  await wb.runCommand('cowork: Show Log');
  await waitUntil(
    `the cowork log to show offlineDelayMs: ${SLOW_TASK_MS} in effect`,
    async () => (await wb.outputText()).includes(`offlineDelayMs: ${SLOW_TASK_MS} (workspace/configuration)`),
    SHORT,
  );
  await wb.runCommand('View: Hide Panel');
  await wb.openFile('calc.py');
  await wb.runCommand('cowork: Summarize This Module');
  await wb.runCommand('cowork: Show Tasks');
  const running = await wb.taskRow('Summary of calc.py', 'running');
  log(`  Tasks view: "${running.label}" — ${running.state}, "${running.description}"`);
  const status = await wb.statusBar(/cowork 1 running/, '"cowork 1 running"');
  log(`  status bar: ${status}`);
  await screenshot(page, '03-slow-task-running');
  await wb.contextMenuItem(running.row, 'Cancel');
  const cancelled = await wb.taskRow('Summary of calc.py', 'cancelled', SHORT);
  log(`  Tasks view: "${cancelled.label}" — ${cancelled.state}`);
  await wb.statusBar(IDLE, 'idle "cowork" again');
  await screenshot(page, '03-cancelled');

  log('  re-run the cancelled task from its context menu, then cancel it from the palette');
  await wb.contextMenuItem(cancelled.row, 'Re-run');
  const rerun = await wb.taskRow('Summary of calc.py', 'running');
  log(`  Tasks view: "${rerun.label}" — ${rerun.state}`);
  await wb.runCommand('cowork: Cancel Task');
  await wb.pick('Summary of calc.py', 'the running task in the Cancel Task picker');
  await waitUntil('both slow tasks to show as cancelled and none as running', async () => {
    const rows = await wb.taskRows();
    const states = rows.filter((r) => r.label === 'Summary of calc.py').map((r) => r.state);
    return states.filter((s) => s === 'cancelled').length === 2 && !states.includes('running');
  });
  await wb.statusBar(IDLE, 'idle "cowork" after the second cancel');
}

async function scenarioFailure(wb, page, fixture) {
  log('scenario 4: a failing task shows its reason once, with "Show log"');
  fixture.updateWorkspaceSettings({ 'cowork.contextBudgetTokens': 1000 });
  await wb.runCommand('cowork: Show Log');
  await waitUntil(
    'the cowork log to show contextBudgetTokens: 1000 in effect',
    async () => (await wb.outputText()).includes('contextBudgetTokens: 1000 (workspace/configuration)'),
    SHORT,
  );
  await wb.runCommand('View: Hide Panel');
  await wb.runCommand('Notifications: Clear All Notifications');
  await wb.openFile('helpers.py');
  await wb.runCommand('cowork: Summarize This Module');
  const row = await wb.taskRow('Summary of helpers.py', 'failed');
  log(`  Tasks view: "${row.label}" — ${row.state}`);
  const toast = await wb.notification(/Summary of helpers\.py failed/, '"Summary of helpers.py failed: …"');
  log(`  notification: ${(await toast.locator('.notification-list-item-message').innerText()).trim()}`);
  // The server's own showMessage for the failure is sent before its progress ends;
  // once the progress is gone from the status bar, a duplicate would be showing.
  await wb.noWindowProgress(/Summary of helpers\.py/);
  const shown = await page.locator('.notification-toast', { hasText: /Summary of helpers\.py failed/ }).count();
  if (shown !== 1) {
    throw new Error(`expected the failure once, saw ${shown} notifications about it`);
  }
  await screenshot(page, '04-failed');
  await toast.getByRole('button', { name: 'Show log' }).click();
  await waitUntil('the cowork log to open in the Output panel', async () => (await wb.outputChannel()) === 'cowork');
  await wb.runCommand('View: Hide Panel');
}

async function scenarioApiKey(wb, page, server, dirs) {
  log('scenario 5: Set Anthropic API Key restarts the server with the key in its environment only');
  const key = 'sk-ant-e2e-0000-not-a-real-key';
  const before = coworkServers(server.pid).map((p) => p.pid);
  await wb.runCommand('cowork: Set Anthropic API Key');
  await wb.answerInput(key, 'secret storage');
  await wb.notification(/API key is stored/, '"the Anthropic API key is stored"');
  let restarted;
  await waitUntil(
    'a new cowork server process with ANTHROPIC_API_KEY set',
    async () => {
      const now = coworkServers(server.pid);
      restarted = now.find((p) => !before.includes(p.pid) && p.env.ANTHROPIC_API_KEY === key);
      return restarted !== undefined && now.length === 1;
    },
    SHORT,
  );
  log(`  server restarted: pid ${before.join(',')} -> ${restarted.pid}`);
  await wb.statusBar(IDLE, 'idle "cowork" after the restart');
  const leaks = filesContaining(key, [path.join(dirs.userData, 'logs'), path.join(dirs.userData, 'User'), dirs.workspace]);
  if (leaks.length > 0) {
    throw new Error(`the API key was written to: ${leaks.join(', ')}`);
  }
  log('  the key is in no log or settings file');
}

async function scenarioServerMissing(wb, fixture) {
  log('scenario 6: a server command that cannot run gets a clear error with "How to install"');
  // Changing cowork.server.command restarts the server with the new command.
  fixture.updateWorkspaceSettings({ 'cowork.server.command': ['/nonexistent/bin/cowork', 'serve'] });
  const toast = await wb.notification(/language server could not start/, '"the language server could not start"');
  const message = (await toast.locator('.notification-list-item-message').innerText()).trim();
  log(`  notification: ${message}`);
  if (!message.includes('/nonexistent/bin/cowork')) {
    throw new Error(`the error does not name the command it tried: ${message}`);
  }
  await wb.statusBar(/cowork: not running/, '"cowork: not running"');
  await toast.getByRole('button', { name: 'How to install' }).click();
  const tab = await wb.tab(/^Preview (README|readme)\.md$/, 'the README preview');
  await wb.webviewShows('The server: installed for you', 'the README preview to show "The server: installed for you"');
  log(`  "How to install" opened ${tab} with the install instructions`);
}

/** A code-server with the .vsix installed on `fixture`'s profile, and a browser on it. */
async function openSession(vsix, fixture, env, name) {
  const session = { fixture };
  session.close = async () => {
    await session.context?.close().catch(() => undefined);
    session.context = undefined;
    await session.server?.stop();
    session.server = undefined;
    if (keep) {
      console.log(`[e2e] kept ${fixture.dirs.root}`);
    } else {
      fixture.remove();
    }
  };
  log(`${name}: installing ${path.basename(vsix)}`);
  await installExtension({ bin: codeServerBin, vsix, dirs: fixture.dirs, env });
  session.server = await startCodeServer({
    bin: codeServerBin,
    dirs: fixture.dirs,
    env,
    port: await freePort(),
    logFile: path.join(resultsDir, `code-server-${name}.log`),
  });
  await session.server.waitUntilListening(SHORT);
  log(`${name}: code-server on ${session.server.url} (process group ${session.server.pid})`);
  session.context = await chromium.launchPersistentContext(fixture.dirs.browserProfile, {
    executablePath: chromiumPath,
    headless: true,
    env,
    viewport: { width: 1400, height: 860 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  session.page = session.context.pages()[0] ?? (await session.context.newPage());
  await session.page.goto(session.server.url);
  session.wb = new Workbench(session.page);
  await session.wb.ready();
  return session;
}

/** PATH without any folder that holds a `cowork` program (or this repository's .venv). */
function pathWithoutCowork(value) {
  return (value ?? '')
    .split(':')
    .filter((dir) => dir !== '' && !existsSync(path.join(dir, 'cowork')) && !dir.startsWith(path.dirname(python)))
    .join(':');
}

async function scenarioFreshInstall(vsix, sessions) {
  log('scenario 7: a fresh profile with no cowork anywhere: the extension installs its own server and starts it');
  const fixture = createFixture({ python, serverCommand: false, name: 'cowork-e2e-fresh-' });
  const env = { ...fixture.env(), PATH: pathWithoutCowork(process.env.PATH) };
  for (const dir of env.PATH.split(':')) {
    if (existsSync(path.join(dir, 'cowork'))) throw new Error(`cowork is still on PATH in ${dir}`);
  }
  const session = await openSession(vsix, fixture, env, 'fresh');
  sessions.push(session);
  const { wb, page } = session;
  const progress = page.locator('.notification-toast', { hasText: /installing the language server/ });
  await visible(progress, 'the "installing the language server" progress notification', 60_000);
  log(`  notification: ${(await progress.first().innerText()).replace(/\s+/g, ' ').trim()}`);
  await screenshot(page, '07-installing');
  await wb.statusBar(IDLE, 'idle "cowork": the installed server running', INSTALL_MS);
  const storage = path.join(fixture.dirs.userData, 'User', 'globalStorage');
  let running;
  await waitUntil('a cowork server running from the managed environment', async () => {
    running = coworkServers(session.server.pid).find((p) => p.argv[0].startsWith(storage));
    return running !== undefined;
  });
  log(`  server: ${running.argv.join(' ')}`);
  // It works: a hand-off comes back.
  await wb.openFile('calc.py');
  await wb.runCommand('cowork: Summarize This Module');
  await wb.tab(/^Summary · calc\.py$/, 'the summary preview from the installed server');
  await screenshot(page, '07-installed');
}

async function scenarioInstallFails(vsix, sessions) {
  log('scenario 8: the package index out of reach: the install fails and the notification says why');
  const fixture = createFixture({ python, serverCommand: false, name: 'cowork-e2e-offline-' });
  // pip without its configuration, pointed at a port nobody listens on. (PATH cannot take
  // Python away: code-server gives extensions its login shell's PATH, as VS Code does.)
  const env = {
    ...fixture.env(),
    PATH: pathWithoutCowork(process.env.PATH),
    PIP_CONFIG_FILE: '/dev/null',
    PIP_INDEX_URL: 'http://127.0.0.1:9/simple/',
    PIP_RETRIES: '0',
    PIP_TIMEOUT: '3',
  };
  delete env.PIP_FIND_LINKS;
  delete env.PIP_EXTRA_INDEX_URL;
  const session = await openSession(vsix, fixture, env, 'offline');
  sessions.push(session);
  const { wb, page } = session;
  const toast = await visible(
    page.locator('.notification-toast', { hasText: /could not be installed/ }),
    'the notification "the cowork language server could not be installed"',
    INSTALL_MS,
  );
  const message = (await toast.locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ').trim();
  log(`  notification: ${message}`);
  for (const needed of [/pip could not install cowork/, /package index reachable/, /login shell/, /cowork\.server\.command/]) {
    if (!needed.test(message)) {
      throw new Error(`the failure notification does not say ${needed}: ${message}`);
    }
  }
  await screenshot(page, '08-install-failed');
  await toast.getByRole('button', { name: 'Show log' }).click();
  await waitUntil('the cowork log to open in the Output panel', async () => (await wb.outputChannel()) === 'cowork');
  await waitUntil("pip's own output in the cowork log", async () => /Could not find a version|No matching distribution/.test(await wb.outputText()));
  await wb.statusBar(/cowork: not running/, '"cowork: not running"');
}

async function main() {
  const vsix = preconditions();
  mkdirSync(resultsDir, { recursive: true });
  const onlyInstall = process.argv.includes('--only-install');
  const sessions = [];
  let failed = false;
  let passed = 0;
  let page;
  const cleanup = async () => {
    while (sessions.length > 0) {
      await sessions.pop().close();
    }
  };
  const watchdog = setTimeout(() => {
    console.error(`[e2e] the whole run exceeded ${WHOLE_RUN_MS / 1000} s; stopping`);
    void cleanup().finally(() => process.exit(1));
  }, WHOLE_RUN_MS);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  try {
    if (!onlyInstall) {
      const fixture = createFixture({ python });
      const session = await openSession(vsix, fixture, fixture.env(), 'main');
      sessions.push(session);
      const { wb, server } = session;
      page = session.page;
      // "cowork" alone is the idle text, shown only once the extension has started its server.
      await wb.statusBar(IDLE, 'idle "cowork" (extension active, server running)', 60_000);
      log('workbench ready, cowork server running');

      // In order: each one starts from the workbench the one before left.
      const scenarios = [
        () => scenarioSummarize(wb, page),
        () => scenarioReview(wb, page),
        () => scenarioFinding(wb, page),
        () => scenarioReload(wb),
        () => scenarioHandoffs(wb, page),
        () => scenarioCancel(wb, page, fixture),
        () => scenarioFailure(wb, page, fixture),
        () => scenarioApiKey(wb, page, server, fixture.dirs),
        () => scenarioServerMissing(wb, fixture),
      ];
      for (const scenario of scenarios) {
        await scenario();
        passed += 1;
      }
      await cleanup();
    }
    page = undefined;
    if (!process.argv.includes('--skip-install')) {
      await scenarioInstallFails(vsix, sessions);
      passed += 1;
      await cleanup();
      await scenarioFreshInstall(vsix, sessions);
      passed += 1;
    }
    log(`all scenarios passed in ${seconds()} s`);
  } catch (error) {
    failed = true;
    console.error(`[e2e ${seconds()}s] FAILED: ${error.message}`);
    page ??= sessions[sessions.length - 1]?.page;
    if (page !== undefined) {
      await screenshot(page, 'failure').catch(() => undefined);
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
  console.log(`${passed} passed, ${failed ? 1 : 0} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main().catch((error) => {
  console.error(`[e2e] ${error.message}`);
  process.exitCode = 1;
});
