import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTaskList, parseTaskRecord } from '../src/pure/taskRecord';

test('a record from the server parses to the same fields', () => {
  const wire = {
    taskId: 'abc', kind: 'review', title: 'Review of this branch', state: 'running',
    createdAt: '2026-11-23T10:00:00Z', startedAt: '2026-11-23T10:00:01Z', finishedAt: null,
    artifactUri: null, error: null,
    usage: { inputTokens: 5, outputTokens: 6, cacheReadTokens: 7, cacheWriteTokens: 8, costUsd: 0.5 },
    provider: 'offline', model: 'cowork-offline', batchId: null, workspace: '/ws',
    params: { base: 'main' }, briefUri: 'file:///ws/.cowork/briefs/r.md', parentId: null, reviewed: false, stale: true,
  };
  const parsed = parseTaskRecord(wire);
  assert.deepEqual(parsed, { ...wire });
});

test('records without an id or with an unknown state are dropped; missing fields get safe values', () => {
  assert.equal(parseTaskRecord({ kind: 'summarize', state: 'done' }), undefined);
  assert.equal(parseTaskRecord({ taskId: 'x', state: 'exploded' }), undefined);
  assert.equal(parseTaskRecord('nope'), undefined);
  const sparse = parseTaskRecord({ taskId: 'x', state: 'queued' });
  assert.equal(sparse?.title, 'task x');
  assert.deepEqual(sparse?.usage, { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 });
  assert.equal(sparse?.artifactUri, null);
  // A server before params, briefUri, reviewed and stale: unknown, not false.
  assert.equal(sparse?.params, null);
  assert.equal(sparse?.briefUri, null);
  assert.equal(sparse?.reviewed, null);
  assert.equal(sparse?.stale, false);
  assert.equal(parseTaskRecord({ taskId: 'x', state: 'done', params: ['not', 'an object'] })?.params, null);
});

test('a task list keeps the good records of a partly bad answer', () => {
  assert.deepEqual(
    parseTaskList([{ taskId: 'a', state: 'done' }, null, { taskId: 'b', state: 'bad' }]).map((t) => t.taskId),
    ['a'],
  );
  assert.deepEqual(parseTaskList(null), []);
});
