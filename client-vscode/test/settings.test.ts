import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVER_SETTING_KEYS, serverSettings } from '../src/pure/settings';

const section = {
  server: { command: ['/venv/bin/python', '-m', 'cowork', 'serve'] },
  provider: 'offline',
  model: '',
  maxConcurrentTasks: 3,
  contextBudgetTokens: 60000,
  batch: 'never',
  openArtifactOnCompletion: true,
  minFindingSeverity: 'information',
  exclude: [],
  offlineDelayMs: 20000,
};

test('only what the user set is sent, so server defaults and COWORK_* variables keep their place', () => {
  const userSet = new Set(['provider', 'exclude']);
  assert.deepEqual(serverSettings(section, (k) => userSet.has(k)), { provider: 'offline', exclude: [], offlineDelayMs: 20000 });
});

test('the client-only server command never reaches the server', () => {
  assert.ok(!('server' in serverSettings(section, () => true)));
});

test('an empty model means the server default', () => {
  assert.ok(!('model' in serverSettings(section, () => true)));
  assert.equal(serverSettings({ ...section, model: 'claude-opus-5' }, () => true).model, 'claude-opus-5');
});

test('every key of design.md settings table is a server setting key', () => {
  assert.deepEqual([...SERVER_SETTING_KEYS].sort(), [
    'batch', 'contextBudgetTokens', 'exclude', 'maxConcurrentTasks', 'minFindingSeverity', 'model',
    'openArtifactOnCompletion', 'provider',
  ]);
});

test('a section that is not an object gives no settings', () => {
  assert.deepEqual(serverSettings(null, () => true), {});
  assert.deepEqual(serverSettings([1], () => true), {});
});
