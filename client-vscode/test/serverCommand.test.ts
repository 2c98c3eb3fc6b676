import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeCommand, findExecutable, parseCommandSetting, resolveServerCommand, splitCommandLine, useManagedServer, type ResolveInput,
} from '../src/pure/serverCommand';

function input(overrides: Partial<ResolveInput> = {}): ResolveInput {
  return {
    setting: null,
    folders: ['/ws'],
    home: '/home/me',
    platform: 'linux',
    hasCowork: async () => true,
    exists: () => true,
    ...overrides,
  };
}

test('a configured array is used as given, with ${workspaceFolder} and ~ expanded', async () => {
  const r = await resolveServerCommand(input({ setting: ['${workspaceFolder}/env/bin/python', '-m', 'cowork', 'serve', '~/x'] }));
  assert.deepEqual(r, { ok: true, server: { command: '/ws/env/bin/python', args: ['-m', 'cowork', 'serve', '/home/me/x'], origin: 'setting' } });
});

test('a configured string is split like a shell would, quotes kept together', async () => {
  const r = await resolveServerCommand(input({ setting: '"/opt/my tools/cowork" serve --tcp 127.0.0.1:2087' }));
  assert.ok(r.ok);
  assert.equal(r.server.command, '/opt/my tools/cowork');
  assert.deepEqual(r.server.args, ['serve', '--tcp', '127.0.0.1:2087']);
  assert.equal(describeCommand(r.server), '"/opt/my tools/cowork" serve --tcp 127.0.0.1:2087');
});

test('no setting: the workspace .venv interpreter when it has cowork', async () => {
  const checked: string[] = [];
  const r = await resolveServerCommand(input({ hasCowork: async (p) => (checked.push(p), true) }));
  assert.deepEqual(r, { ok: true, server: { command: '/ws/.venv/bin/python', args: ['-m', 'cowork', 'serve'], origin: 'workspace .venv' } });
  assert.deepEqual(checked, ['/ws/.venv/bin/python']);
});

test('no setting and no usable .venv: cowork from PATH', async () => {
  const without = await resolveServerCommand(input({ hasCowork: async () => false }));
  assert.deepEqual(without, { ok: true, server: { command: 'cowork', args: ['serve'], origin: 'PATH' } });
  let asked = false;
  const missing = await resolveServerCommand(input({ exists: () => false, hasCowork: async () => (asked = true) }));
  assert.equal(missing.ok && missing.server.origin, 'PATH');
  assert.equal(asked, false, 'an interpreter that does not exist is not run');
});

test('the second folder .venv is used when the first has none', async () => {
  const r = await resolveServerCommand(input({ folders: ['/a', '/b'], exists: (p) => p.startsWith('/b/') }));
  assert.equal(r.ok && r.server.command, '/b/.venv/bin/python');
});

test('Windows venvs live in Scripts', async () => {
  const r = await resolveServerCommand(input({ platform: 'win32', folders: ['C:\\ws'] }));
  assert.equal(r.ok && r.server.command, 'C:\\ws\\.venv\\Scripts\\python.exe');
});

test('bad settings are errors that name the setting, not silent fallbacks', async () => {
  const bad = await resolveServerCommand(input({ setting: [1, 2] }));
  assert.deepEqual(bad, { ok: false, error: 'cowork.server.command must be an array of strings or one string' });
  const quote = await resolveServerCommand(input({ setting: '"/opt/cowork serve' }));
  assert.equal(quote.ok, false);
  assert.match(!quote.ok ? quote.error : '', /unbalanced " quote/);
  const noFolder = parseCommandSetting('${workspaceFolder}/x', { home: '/h' });
  assert.deepEqual(noFolder, { error: 'cowork.server.command: ${workspaceFolder} is used but no folder is open' });
  assert.equal(parseCommandSetting([], { home: '/h' }), undefined);
  assert.equal(parseCommandSetting('  ', { home: '/h' }), undefined);
});

test('command lines split on white space outside quotes', () => {
  assert.deepEqual(splitCommandLine(`a  'b c' "d \\"e\\"" f''`), ['a', 'b c', 'd "e"', 'f']);
  assert.deepEqual(splitCommandLine(''), []);
});

test('executables are found by path or in PATH, in order', () => {
  const present = new Set(['/usr/bin/cowork', '/opt/bin/cowork', '/ws/.venv/bin/python']);
  const isExe = (f: string) => present.has(f);
  assert.equal(findExecutable('cowork', { PATH: '/opt/bin:/usr/bin' }, 'linux', isExe), '/opt/bin/cowork');
  assert.equal(findExecutable('cowork', { PATH: '/nowhere' }, 'linux', isExe), undefined);
  assert.equal(findExecutable('.venv/bin/python', { cwd: '/ws' }, 'linux', isExe), '/ws/.venv/bin/python');
  assert.equal(findExecutable('/ws/.venv/bin/python', {}, 'linux', isExe), '/ws/.venv/bin/python');
  const win = new Set(['C:\\tools\\cowork.EXE']);
  assert.equal(findExecutable('cowork', { PATH: 'C:\\tools', PATHEXT: '.EXE' }, 'win32', (f) => win.has(f)), 'C:\\tools\\cowork.EXE');
});

test('the managed server stands in when nothing is found, or when the cowork on PATH does not start', () => {
  const path = { ok: true as const, server: { command: 'cowork', args: ['serve'], origin: 'PATH' as const } };
  const venv = { ok: true as const, server: { command: '/ws/.venv/bin/python', args: ['-m', 'cowork', 'serve'], origin: 'workspace .venv' as const } };
  const setting = { ok: true as const, server: { command: '/opt/cowork', args: ['serve'], origin: 'setting' as const } };
  assert.equal(useManagedServer({ ok: false, error: 'not on PATH', notFound: true }), true);
  assert.equal(useManagedServer(path, 'exited with 1'), true);
  assert.equal(useManagedServer(path), false);
  // A bad setting, or a configured command or .venv that fails, is shown as it is.
  assert.equal(useManagedServer({ ok: false, error: 'cowork.server.command: unbalanced quote' }), false);
  assert.equal(useManagedServer(setting, 'not found'), false);
  assert.equal(useManagedServer(venv, 'exited with 1'), false);
});
