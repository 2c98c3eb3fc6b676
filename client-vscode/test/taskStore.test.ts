import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TaskStore } from '../src/pure/taskStore';
import { record } from './fixtures';

test('updates report the previous record and lists are newest first', () => {
  const store = new TaskStore();
  const first = store.update(record({ taskId: 'old', state: 'queued', createdAt: '2026-01-01T00:00:00Z' }));
  assert.equal(first.previous, undefined);
  store.update(record({ taskId: 'new', state: 'running', createdAt: '2026-02-01T00:00:00Z' }));
  const second = store.update(record({ taskId: 'old', state: 'running', createdAt: '2026-01-01T00:00:00Z' }));
  assert.equal(second.previous?.state, 'queued');
  assert.deepEqual(store.list().map((t) => t.taskId), ['new', 'old']);
  assert.deepEqual(store.counts(), { running: 2, queued: 0, drafts: 0 });
});

test('a notification that overtakes the snapshot answer is not undone by it', () => {
  const store = new TaskStore();
  store.beginSnapshot();
  store.update(record({ taskId: 't1', state: 'done' }));
  store.applySnapshot([record({ taskId: 't1', state: 'running' }), record({ taskId: 't2', state: 'queued' })]);
  assert.equal(store.get('t1')?.state, 'done');
  assert.equal(store.get('t2')?.state, 'queued');
});

test('a snapshot replaces what the store knew (a restarted server)', () => {
  const store = new TaskStore();
  store.update(record({ taskId: 'gone', state: 'running' }));
  store.beginSnapshot();
  store.applySnapshot([record({ taskId: 'kept', state: 'interrupted' })]);
  assert.deepEqual(store.list().map((t) => t.taskId), ['kept']);
  assert.deepEqual(store.counts(), { running: 0, queued: 0, drafts: 0 });
});

test('finished drafts are counted until they are marked reviewed', () => {
  const store = new TaskStore();
  store.update(record({ taskId: 'a', reviewed: false }));
  store.update(record({ taskId: 'b', reviewed: true }));
  store.update(record({ taskId: 'c', reviewed: null })); // an older server: unknown, not counted
  assert.equal(store.counts().drafts, 1);
});
