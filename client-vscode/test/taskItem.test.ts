import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCost, formatDuration, formatTokens } from '../src/pure/format';
import { describeTask, taskItemModel } from '../src/pure/taskItem';
import { record } from './fixtures';

const NOW = Date.parse('2026-11-23T10:01:00.000Z');
const can = { rerunnable: true, hasBrief: true };

test('a done task: the state is the icon; the row says draft and the elapsed time; tokens and cost are in the tooltip', () => {
  const item = taskItemModel(record(), NOW, can);
  assert.equal(item.label, 'Summary of calc.py');
  assert.equal(item.description, 'draft · 12s');
  assert.deepEqual(item.icon, { id: 'pass', color: 'testing.iconPassed' });
  assert.equal(item.id, 'a1b2c3');
  assert.match(item.tooltip, /summarize · done · 12s · 1\.5k tokens · \$0\.0081/);
  assert.match(item.tooltip, /Draft: not yet marked reviewed/);
  assert.match(item.tooltip, /Provider: anthropic \/ claude-sonnet-5-5/);
  assert.equal(item.accessibilityLabel, 'Summary of calc.py, done, draft · 12s');
});

test('descriptions fit the default side bar: a dozen characters or so', () => {
  for (const state of ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const) {
    const item = taskItemModel(record({ state, stale: true }), NOW, can);
    assert.ok(item.description.length <= 20, `${state}: "${item.description}"`);
  }
});

test('reviewed artifacts lose the draft mark; stale ones are marked', () => {
  assert.equal(taskItemModel(record({ reviewed: true }), NOW, can).description, '12s');
  const stale = taskItemModel(record({ reviewed: true, stale: true }), NOW, can);
  assert.equal(stale.description, 'stale · 12s');
  assert.match(stale.tooltip, /Stale: files it was built from have changed/);
  assert.ok(stale.contextValue.split(' ').includes('stale'));
  // No artifact, nothing to review.
  assert.equal(taskItemModel(record({ state: 'failed', artifactUri: null }), NOW, can).description, '12s');
});

test('a running task spins and counts up to now; it can be cancelled, not re-run', () => {
  const item = taskItemModel(record({ state: 'running', finishedAt: null, artifactUri: null }), NOW, can);
  assert.equal(item.icon.id, 'sync~spin');
  assert.equal(item.description, '59s');
  assert.match(item.accessibilityLabel, /, running, 59s$/);
  const flags = item.contextValue.split(' ');
  assert.ok(flags.includes('cancellable'));
  assert.ok(!flags.includes('rerunnable'));
  assert.ok(!flags.includes('hasArtifact'));
});

test('a queued task shows how long it has waited', () => {
  const item = taskItemModel(record({ state: 'queued', startedAt: null, finishedAt: null, artifactUri: null }), NOW, can);
  assert.equal(item.description, '1m 00s');
  assert.match(item.tooltip, /queued · waiting 1m 00s/);
  assert.equal(item.icon.id, 'clock');
});

test('every state has its own icon; failures carry the reason in the tooltip', () => {
  const ids = (['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const).map(
    (state) => taskItemModel(record({ state }), NOW, can).icon.id,
  );
  assert.equal(new Set(ids).size, ids.length);
  const failed = taskItemModel(record({ state: 'failed', error: 'budget too small', artifactUri: null }), NOW, can);
  assert.match(failed.tooltip, /Error: budget too small/);
  assert.ok(failed.contextValue.split(' ').includes('rerunnable'));
});

test('re-run is offered only when the client knows the arguments', () => {
  const item = taskItemModel(record({ state: 'cancelled' }), NOW, { rerunnable: false, hasBrief: false });
  assert.equal(item.contextValue, 'task state-cancelled hasArtifact');
  assert.equal(item.description, '12s');
});

test('a task with unparseable times still describes itself', () => {
  assert.equal(describeTask(record({ createdAt: null, startedAt: null, finishedAt: null }), NOW), 'draft');
});

test('durations, tokens and costs read naturally', () => {
  assert.equal(formatDuration(340), '0.3s');
  assert.equal(formatDuration(9_990), '9.9s');
  assert.equal(formatDuration(65_000), '1m 05s');
  assert.equal(formatDuration(3_723_000), '1h 02m');
  assert.equal(formatTokens(0), '0 tokens');
  assert.equal(formatTokens(12_345), '12k tokens');
  assert.equal(formatTokens(2_500_000), '2.5M tokens');
  assert.equal(formatCost(0), '$0');
  assert.equal(formatCost(0.00123), '$0.0012');
  assert.equal(formatCost(3.456), '$3.46');
});
