// End to end in real VS Code: code-server 4.100.3 + Debian chromium via
// playwright-core, the packaged .vsix, the real cowork server (offline provider).
//
//   npm run package && npm run e2e:install && npm run e2e
//   npm run e2e -- --update-screenshot   # also refreshes docs/vscode-tasks.png
//   npm run e2e -- --keep                # leaves the temp profile, logs and workspace
//
// Screenshots go to test-results/. Exit status 0 only when every scenario passed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, installExtension, startCodeServer } from './lib/codeServer.mjs';
import { createFixture, filesContaining } from './lib/fixture.mjs';
import { coworkServers } from './lib/processes.mjs';
import { chromiumPath, codeServerBin, docsScreenshot, python, resultsDir, vsixPath } from './lib/paths.mjs';
import { SHORT, waitUntil, Workbench } from './lib/workbench.mjs';

// Nothing may hang: past this the run fails, and cleans up all the same.
const WHOLE_RUN_MS = 5 * 60_000;
// The offline provider's pretend writing time in the cancel scenario: long
// enough that the task is certainly still running when it is cancelled.
const SLOW_TASK_MS = 120_000;

const started = Date.now();
const updateScreenshot = process.argv.includes('--update-screenshot');
// For debugging a failure: leave the temp home, profile, logs and workspace in place.
const keep = process.argv.includes('--keep');
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (message) => console.log(`[e2e ${seconds()}s] ${message}`);

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

async function screenshot(page, name) {
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${path.relative(process.cwd(), file)}`);
  return file;
}

async function scenarioSummarize(wb, page) {
  log('scenario 1: Summarize This Module');
  await wb.openFile('calc.py');
  await wb.runCommand('cowork: Summarize This Module');
  await wb.runCommand('cowork: Show Tasks');
  const row = await wb.taskRow('Summary of calc.py', 'done');
  log(`  Tasks view: "${row.label}" — ${row.description}`);
  await wb.notification(/Summary of calc\.py is done/, '"Summary of calc.py is done"');
  const tab = await wb.tab(/-summarize-summary-of-calc-py\.md$/, 'the summary artifact');
  log(`  artifact tab: ${tab}`);
  await wb.clickTab(tab);
  await wb.editorShows('# Summary: `calc.py`');
  await wb.statusBar(/^cowork$/, 'idle "cowork"');
  await screenshot(page, '01-summarize-done');
}

async function scenarioReview(wb, page) {
  log("scenario 2: Review This Branch's Changes");
  await wb.runCommand("cowork: Review This Branch's Changes");
  await wb.answerInput('', 'Base to compare with');
  await wb.answerInput('Adds calc.subtract', 'What is the change supposed to do?');
  const row = await wb.taskRow('Review of this branch against its base', 'done');
  log(`  Tasks view: "${row.label}" — ${row.description}`);
  const tab = await wb.tab(/-review-review-of-this-branch-against-its-base\.md$/, 'the review artifact');
  log(`  artifact tab: ${tab}`);
  await wb.clickTab(tab);
  await wb.editorShows("# Review: this branch's changes");
  await wb.editorShows('Adds calc.subtract');
  await wb.editorShows("# Review: this branch's changes");
  await wb.sideBarWidth(520);
  await wb.runCommand('Notifications: Clear All Notifications');
  await wb.scrollEditorTo("# Review: this branch's changes");
  const shot = await screenshot(page, 'vscode-tasks');
  if (updateScreenshot) {
    mkdirSync(path.dirname(docsScreenshot), { recursive: true });
    copyFileSync(shot, docsScreenshot);
    log(`  README screenshot updated: ${docsScreenshot}`);
  }
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
  log(`  Tasks view: "${running.label}" — ${running.description}`);
  const status = await wb.statusBar(/cowork 1 running/, '"cowork 1 running"');
  log(`  status bar: ${status}`);
  await screenshot(page, '03-slow-task-running');
  await wb.contextMenuItem(running.row, 'Cancel');
  const cancelled = await wb.taskRow('Summary of calc.py', 'cancelled', SHORT);
  log(`  Tasks view: "${cancelled.label}" — ${cancelled.description}`);
  await wb.statusBar(/^cowork$/, 'idle "cowork" again');
  await screenshot(page, '03-cancelled');

  log('  re-run the cancelled task from its context menu, then cancel it from the palette');
  await wb.contextMenuItem(cancelled.row, 'Re-run');
  const rerun = await wb.taskRow('Summary of calc.py', 'running');
  log(`  Tasks view: "${rerun.label}" — ${rerun.description}`);
  await wb.runCommand('cowork: Cancel Task');
  await wb.pick('Summary of calc.py', 'the running task in the Cancel Task picker');
  await waitUntil('both slow tasks to show as cancelled and none as running', async () => {
    const rows = await wb.taskRows();
    const states = rows.filter((r) => r.label === 'Summary of calc.py').map((r) => r.description.split(' ')[0]);
    return states.filter((s) => s === 'cancelled').length === 2 && !states.includes('running');
  });
  await wb.statusBar(/^cowork$/, 'idle "cowork" after the second cancel');
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
  log(`  Tasks view: "${row.label}" — ${row.description}`);
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
  await wb.statusBar(/^cowork$/, 'idle "cowork" after the restart');
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
  await wb.webviewShows('Installing the server', 'the README preview to show "Installing the server"');
  log(`  "How to install" opened ${tab} with the install instructions`);
}

async function main() {
  const vsix = preconditions();
  mkdirSync(resultsDir, { recursive: true });
  const fixture = createFixture({ python });
  const env = fixture.env();
  let server;
  let context;
  let page;
  let failed = false;
  let passed = 0;
  const watchdog = setTimeout(() => {
    console.error(`[e2e] the whole run exceeded ${WHOLE_RUN_MS / 1000} s; stopping`);
    void cleanup().finally(() => process.exit(1));
  }, WHOLE_RUN_MS);
  async function cleanup() {
    await context?.close().catch(() => undefined);
    context = undefined;
    await server?.stop();
    server = undefined;
    if (keep) {
      console.log(`[e2e] kept ${fixture.dirs.root}`);
    } else {
      fixture.remove();
    }
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  try {
    log(`installing ${path.basename(vsix)}`);
    await installExtension({ bin: codeServerBin, vsix, dirs: fixture.dirs, env });
    const port = await freePort();
    server = await startCodeServer({
      bin: codeServerBin,
      dirs: fixture.dirs,
      env,
      port,
      logFile: path.join(resultsDir, 'code-server.log'),
    });
    await server.waitUntilListening(SHORT);
    log(`code-server on ${server.url} (process group ${server.pid})`);

    context = await chromium.launchPersistentContext(fixture.dirs.browserProfile, {
      executablePath: chromiumPath,
      headless: true,
      env,
      viewport: { width: 1400, height: 860 },
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(server.url);
    const wb = new Workbench(page);
    await wb.ready();
    // "cowork" alone is the idle text, shown only once the extension has started its server.
    await wb.statusBar(/^cowork$/, 'idle "cowork" (extension active, server running)', 60_000);
    log('workbench ready, cowork server running');

    // In order: each one starts from the workbench the one before left.
    const scenarios = [
      () => scenarioSummarize(wb, page),
      () => scenarioReview(wb, page),
      () => scenarioCancel(wb, page, fixture),
      () => scenarioFailure(wb, page, fixture),
      () => scenarioApiKey(wb, page, server, fixture.dirs),
      () => scenarioServerMissing(wb, fixture),
    ];
    for (const scenario of scenarios) {
      await scenario();
      passed += 1;
    }
    log(`all scenarios passed in ${seconds()} s`);
  } catch (error) {
    failed = true;
    console.error(`[e2e ${seconds()}s] FAILED: ${error.message}`);
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
