import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nestRevisions } from '../src/pure/taskTree';
import { record } from './fixtures';

test('revisions nest under the first task of their chain, newest first', () => {
  const v3 = record({ taskId: 'v3', parentId: 'v2', title: 'Summary (v3)' });
  const v2 = record({ taskId: 'v2', parentId: 'v1', title: 'Summary (v2)' });
  const other = record({ taskId: 'other' });
  const v1 = record({ taskId: 'v1' });
  const tree = nestRevisions([v3, other, v2, v1]);
  assert.deepEqual(tree.roots.map((t) => t.taskId), ['other', 'v1']);
  assert.deepEqual(tree.children.get('v1')?.map((t) => t.taskId), ['v3', 'v2']);
  assert.equal(tree.children.get('other'), undefined);
});

test('a revision whose first version is gone, or a loop of parents, stays a root', () => {
  const orphan = record({ taskId: 'v2', parentId: 'gone' });
  assert.deepEqual(nestRevisions([orphan]).roots.map((t) => t.taskId), ['v2']);
  const a = record({ taskId: 'a', parentId: 'b' });
  const b = record({ taskId: 'b', parentId: 'a' });
  const tree = nestRevisions([a, b]);
  assert.equal(tree.roots.length + [...tree.children.values()].flat().length, 2);
});
