import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusModel } from '../src/pure/statusText';

test('idle: just the name', () => {
  assert.equal(statusModel({ running: 0, queued: 0, drafts: 0 }, 'running').text, 'cowork');
});

test('running and queued counts, spinning while something runs', () => {
  assert.equal(statusModel({ running: 1, queued: 2, drafts: 0 }, 'running').text, '$(sync~spin) cowork 1 running, 2 queued');
  assert.equal(statusModel({ running: 3, queued: 0, drafts: 0 }, 'running').text, '$(sync~spin) cowork 3 running');
  assert.equal(statusModel({ running: 0, queued: 2, drafts: 0 }, 'running').text, '$(clock) cowork 2 queued');
});

test('a server that is not running says so', () => {
  assert.equal(statusModel({ running: 0, queued: 0, drafts: 0 }, 'failed').text, '$(error) cowork: not running');
  assert.equal(statusModel({ running: 0, queued: 0, drafts: 0 }, 'starting').text, '$(loading~spin) cowork: starting');
  assert.equal(statusModel({ running: 0, queued: 0, drafts: 0 }, 'stopped').text, '$(circle-slash) cowork: stopped');
});

test('drafts not yet marked reviewed are counted, idle or not', () => {
  const idle = statusModel({ running: 0, queued: 0, drafts: 2 }, 'running');
  assert.equal(idle.text, 'cowork · 2 to review');
  assert.match(idle.tooltip, /2 drafts not yet marked reviewed/);
  assert.equal(statusModel({ running: 1, queued: 0, drafts: 1 }, 'running').text, '$(sync~spin) cowork 1 running · 1 to review');
});
