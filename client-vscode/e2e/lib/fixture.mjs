// A throwaway home, profile and workspace: a git repository with a Python
// module on a branch one commit ahead of main.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function git(cwd, ...args) {
  execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

function writeJson(file, value) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * `serverCommand: false`: no cowork.server.command, as a new user has it (the
 * extension must find or install its server itself).
 */
export function createFixture({ python, serverCommand = true, name = 'cowork-e2e-' }) {
  const root = mkdtempSync(path.join(os.tmpdir(), name));
  const dirs = {
    root,
    home: path.join(root, 'home'),
    config: path.join(root, 'xdg-config'),
    data: path.join(root, 'xdg-data'),
    cache: path.join(root, 'xdg-cache'),
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    browserProfile: path.join(root, 'chromium'),
    // code-server leaves its IPC and git sockets in TMPDIR.
    tmp: path.join(root, 'tmp'),
    workspace: path.join(root, 'calculator'),
  };
  for (const dir of Object.values(dirs)) {
    mkdirSync(dir, { recursive: true });
  }

  // Nothing the test does not need: no telemetry, update checks, tips or welcome pages.
  writeJson(path.join(dirs.userData, 'User', 'settings.json'), {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.commandCenter.enabled': false,
    'security.workspace.trust.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'window.restoreWindows': 'none',
  });

  const ws = dirs.workspace;
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'config', 'user.email', 'e2e@example.invalid');
  git(ws, 'config', 'user.name', 'cowork e2e');
  writeFileSync(path.join(ws, '.gitignore'), '.vscode/\n');
  writeFileSync(
    path.join(ws, 'calc.py'),
    '"""Small arithmetic helpers."""\n\n\ndef add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n',
  );
  // A module whose outline alone is over the smallest context budget: a task that fails.
  const helpers = Array.from(
    { length: 400 },
    (_, i) =>
      `def helper_${i}(alpha: int, beta: str, gamma: float = 0.5) -> dict[str, int]:\n` +
      `    """Helper ${i}: turns alpha, beta and gamma into a mapping."""\n    return {beta: alpha}\n`,
  );
  writeFileSync(path.join(ws, 'helpers.py'), `"""Many helpers."""\n\n\n${helpers.join('\n\n')}`);
  git(ws, 'add', '.');
  git(ws, 'commit', '-q', '-m', 'Add calc.add and the helpers');
  git(ws, 'checkout', '-q', '-b', 'feature/subtract');
  writeFileSync(
    path.join(ws, 'calc.py'),
    '"""Small arithmetic helpers."""\n\n\ndef add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n\n\n' +
      // Two findings on adjacent lines: Ctrl+. on the second must act on the second.
      'def subtract(a: int, b: int) -> int:\n    """Subtract b from a."""\n    print(a, b)\n    breakpoint()\n    return a - b\n',
  );
  git(ws, 'commit', '-q', '-am', 'Add calc.subtract');

  const settingsFile = path.join(ws, '.vscode', 'settings.json');
  const workspaceSettings = {
    ...(serverCommand ? { 'cowork.server.command': [python, '-m', 'cowork', 'serve'] } : {}),
    'cowork.provider': 'offline',
    'cowork.notifications.autoCloseSeconds': 8,
  };
  writeJson(settingsFile, workspaceSettings);

  return {
    dirs,
    /** Changes workspace settings the way a user editing settings.json would. */
    updateWorkspaceSettings(extra) {
      writeJson(settingsFile, { ...workspaceSettings, ...extra });
    },
    env() {
      const env = { ...process.env };
      // The extension must not pick up a real key from the developer's shell.
      delete env.ANTHROPIC_API_KEY;
      return {
        ...env,
        HOME: dirs.home,
        XDG_CONFIG_HOME: dirs.config,
        XDG_DATA_HOME: dirs.data,
        XDG_CACHE_HOME: dirs.cache,
        TMPDIR: dirs.tmp,
      };
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Files under `roots` whose bytes contain `needle` (.git and .cowork/state excluded: binary stores). */
export function filesContaining(needle, roots) {
  const hits = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const info = statSync(file, { throwIfNoEntry: false });
      if (info === undefined || name === '.git') continue;
      if (info.isDirectory()) walk(file);
      else if (info.isFile() && readFileSync(file).includes(needle)) hits.push(file);
    }
  };
  roots.forEach(walk);
  return hits;
}
