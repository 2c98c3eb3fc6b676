import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chooseInterpreter, compareVersions, installFailureText, managedLayout, parseVersion, pickWheel, pipError, planManaged, type PlanInput,
} from '../src/pure/managedServer';

const wheel = { file: 'cowork-0.2.0-py3-none-any.whl', sha256: 'aa' };
const plan = (overrides: Partial<PlanInput>) =>
  planManaged({ bundled: wheel, installed: undefined, works: false, autoInstall: true, requested: false, ...overrides });

test('nothing installed yet: install without asking, or offer when auto-install is off', () => {
  assert.deepEqual(plan({}), { action: 'install', upgrade: false });
  assert.deepEqual(plan({ autoInstall: false }), { action: 'offer', upgrade: false });
  // The command (or a Retry button) is a yes already.
  assert.deepEqual(plan({ autoInstall: false, requested: true }), { action: 'install', upgrade: false });
});

test('the environment is reused while it holds the bundled wheel, and upgraded when the extension brings another', () => {
  assert.deepEqual(plan({ installed: wheel, works: true }), { action: 'use' });
  assert.deepEqual(plan({ installed: { ...wheel, sha256: 'bb' }, works: true }), { action: 'install', upgrade: true });
  assert.deepEqual(plan({ installed: { ...wheel, sha256: 'bb' }, works: true, autoInstall: false }), { action: 'offer', upgrade: true });
  // Installed once but broken since (a Python upgrade removed its interpreter): install again.
  assert.deepEqual(plan({ installed: wheel, works: false }), { action: 'install', upgrade: true });
});

test('a build without a wheel uses a working environment, else says why it cannot help', () => {
  assert.deepEqual(plan({ bundled: undefined, works: true }), { action: 'use' });
  const none = plan({ bundled: undefined, works: false });
  assert.equal(none.action, 'unavailable');
  assert.match((none as { reason: string }).reason, /carries no cowork wheel/);
});

test('the newest cowork wheel is picked by version', () => {
  assert.equal(pickWheel(['cowork-0.9.0-py3-none-any.whl', 'cowork-0.10.0-py3-none-any.whl', 'other-1.0-py3-none-any.whl']), 'cowork-0.10.0-py3-none-any.whl');
  assert.equal(pickWheel(['README.md']), undefined);
  assert.equal(compareVersions('1.2', '1.2.0'), 0);
  assert.equal(compareVersions('1.10', '1.9'), 1);
});

test('the environment lives in the extension storage', () => {
  assert.deepEqual(managedLayout('/g', 'linux'), {
    root: '/g/server', venv: '/g/server/venv', python: '/g/server/venv/bin/python', marker: '/g/server/installed.json',
  });
});

test('the interpreter: the first one that is 3.11 or newer; otherwise what was found and why it will not do', () => {
  const old = { path: '/usr/bin/python3', source: 'PATH', version: [3, 9] as const };
  const selected = { path: '/p/.venv/bin/python', source: 'selected in the Python extension', version: [3, 12] as const };
  assert.deepEqual(chooseInterpreter([selected, old]), { python: selected });
  assert.deepEqual(chooseInterpreter([old, { ...selected, source: 'PATH' }]), { python: { ...selected, source: 'PATH' } });
  const tooOld = chooseInterpreter([old, { path: '/x/python', source: 'PATH', version: undefined }]);
  assert.match((tooOld as { error: string }).error, /needs Python 3\.11 or newer; found \/usr\/bin\/python3 \(PATH\): 3\.9; \/x\/python \(PATH\): would not run/);
  assert.match((chooseInterpreter([]) as { error: string }).error, /no Python found/);
  assert.deepEqual(parseVersion('3.11\n'), [3, 11]);
});

test("pip's own words say why it failed, with a hint when the index is out of reach", () => {
  const offline = [
    'Processing ./cowork-0.1.0-py3-none-any.whl',
    "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError(...)': /simple/pygls/",
    'ERROR: Could not find a version that satisfies the requirement pygls<3,>=2.1 (from cowork) (from versions: none)',
    'ERROR: No matching distribution found for pygls<3,>=2.1',
  ].join('\n');
  assert.equal(
    pipError(offline),
    'Could not find a version that satisfies the requirement pygls<3,>=2.1 (from cowork) (from versions: none) (is the package index reachable from this machine?)',
  );
  assert.equal(pipError('ERROR: Package requires a different Python: 3.9.2 not in >=3.11'), 'Package requires a different Python: 3.9.2 not in >=3.11');
  assert.equal(pipError('all good'), undefined);
  const text = installFailureText('no suitable Python');
  assert.match(text, /could not be installed: no suitable Python\./);
  assert.match(text, /PATH of your login shell/);
});
