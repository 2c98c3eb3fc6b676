import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandoffLog, handoffOf, rerunFor, taskIdOf } from '../src/pure/handoffs';
import { record } from './fixtures';
import { architectureArgs, changeArgs, newBriefArgs, parseOptions, researchArgs } from '../src/pure/taskArgs';

test('task commands with one object are hand-offs; other commands are not', () => {
  assert.deepEqual(handoffOf('cowork.summarizeModule', [{ uri: 'file:///ws/a.py' }]), {
    command: 'cowork.summarizeModule', arg: { uri: 'file:///ws/a.py' },
  });
  assert.equal(handoffOf('cowork.listTasks', []), undefined);
  assert.equal(handoffOf('cowork.cancelTask', [{ taskId: 'x' }]), undefined);
  assert.equal(handoffOf('cowork.research', ['question?']), undefined);
  assert.equal(taskIdOf({ taskId: 'abc' }), 'abc');
  assert.equal(taskIdOf({ uri: 'file:///brief.md' }), undefined);
});

test('the log keeps the newest entries, survives a round trip through JSON, and knows brief documents', () => {
  const log = new HandoffLog([], 2);
  log.record('t1', { command: 'cowork.reviewChanges', arg: { base: 'main' } });
  log.record('t2', { command: 'cowork.dispatchBrief', arg: { uri: 'file:///ws/.cowork/briefs/x.md' } });
  log.record('t3', { command: 'cowork.research', arg: { question: 'q' } });
  assert.equal(log.get('t1'), undefined);
  const restored = new HandoffLog(JSON.parse(JSON.stringify(log.toJSON())));
  assert.deepEqual(restored.get('t3'), { command: 'cowork.research', arg: { question: 'q' } });
  assert.equal(restored.briefUri('t2'), 'file:///ws/.cowork/briefs/x.md');
  assert.equal(restored.briefUri('t3'), undefined);
});

test('saved state that is not a hand-off is ignored', () => {
  const log = new HandoffLog([['t', { command: 'rm -rf', arg: {} }], ['u', null as never]]);
  assert.deepEqual(log.toJSON(), []);
});

test('argument objects carry only what the user gave (design.md shapes)', () => {
  assert.deepEqual(changeArgs({ base: '  ', description: '' }), {});
  assert.deepEqual(changeArgs({ base: ' origin/main ', description: 'adds sub', uri: 'file:///ws/a.py' }), {
    base: 'origin/main', description: 'adds sub', uri: 'file:///ws/a.py',
  });
  assert.deepEqual(architectureArgs(['file:///ws/a', 'file:///ws/a', 'file:///ws/b'], ' '), { uris: ['file:///ws/a', 'file:///ws/b'] });
  assert.deepEqual(architectureArgs(['file:///ws/a'], 'auth'), { uris: ['file:///ws/a'], focus: 'auth' });
  assert.deepEqual(researchArgs(' Which queue? ', 'Redis, SQS\nKafka,,'), { question: 'Which queue?', options: ['Redis', 'SQS', 'Kafka'] });
  assert.deepEqual(researchArgs('q', ''), { question: 'q' });
  assert.deepEqual(newBriefArgs('review', []), { kind: 'review' });
  assert.deepEqual(parseOptions(' a ,b\n c '), ['a', 'b', 'c']);
});

test('every task re-runs: its brief, else its kind with its params, else what this client handed off', () => {
  const log = new HandoffLog();
  log.record('old', { command: 'cowork.research', arg: { question: 'q' } });
  const brief = 'file:///ws/.cowork/briefs/onboarding.md';
  assert.deepEqual(rerunFor(record({ kind: 'architecture', briefUri: brief, params: { uris: ['file:///ws/a'] } }), log), {
    command: 'cowork.dispatchBrief', arg: { uri: brief },
  });
  assert.deepEqual(rerunFor(record({ kind: 'review', params: { base: 'main', description: 'x' } }), log), {
    command: 'cowork.reviewChanges', arg: { base: 'main', description: 'x' },
  });
  // An empty params object is a valid argument (review against the default base).
  assert.deepEqual(rerunFor(record({ kind: 'docs', params: {} }), log), { command: 'cowork.draftDocs', arg: {} });
  // A server that sends no params: the hand-off this client remembers, else nothing.
  assert.deepEqual(rerunFor(record({ taskId: 'old', kind: 'research', params: null }), log), {
    command: 'cowork.research', arg: { question: 'q' },
  });
  assert.equal(rerunFor(record({ taskId: 'cli', kind: 'research', params: null }), log), undefined);
});
