import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoCloseMs, commandLink, linkedMessage, noticeFor, NoticeSlots } from '../src/pure/notices';
import { record } from './fixtures';

test('done and failed are announced once, on the change into that state', () => {
  const running = record({ state: 'running' });
  assert.deepEqual(noticeFor({ previous: running, current: record() }), {
    kind: 'done', taskId: 'a1b2c3', title: 'Summary of calc.py', message: 'cowork: Summary of calc.py is done.', artifactUri: record().artifactUri,
  });
  assert.equal(noticeFor({ previous: record(), current: record() }), undefined);
  const failed = record({ state: 'failed', error: 'the context budget is too small', artifactUri: null });
  assert.deepEqual(noticeFor({ previous: running, current: failed }), {
    kind: 'failed', taskId: 'a1b2c3', title: 'Summary of calc.py', message: 'cowork: Summary of calc.py failed: the context budget is too small', artifactUri: null,
  });
});

test('cancelled, queued and running are not announced', () => {
  for (const state of ['cancelled', 'queued', 'running', 'interrupted'] as const) {
    assert.equal(noticeFor({ previous: undefined, current: record({ state }) }), undefined);
  }
});

test('a notification that closes by itself carries Open and Show log as command links', () => {
  const notice = noticeFor({ previous: record({ state: 'running' }), current: record() })!;
  assert.equal(
    linkedMessage(notice),
    'cowork: Summary of calc.py is done. [Open](command:cowork.client.task.open?%5B%22a1b2c3%22%5D) · [Show log](command:cowork.client.showLog)',
  );
  const long = noticeFor({ previous: undefined, current: record({ title: 'Review of this branch against its base, with a long description' }) })!;
  assert.match(linkedMessage(long), /^cowork: Review of this branch against i… is done\. \[Open\]/);
  const noArtifact = { ...notice, artifactUri: null };
  assert.doesNotMatch(linkedMessage(noArtifact), /\[Open\]/);
  // The arguments survive the round trip VS Code makes: decode, then JSON.
  const href = /\((command:[^)]+)\)/.exec(commandLink('Open', 'x.y', ['id "quoted"']))![1];
  assert.deepEqual(JSON.parse(decodeURIComponent(href.split('?')[1])), ['id "quoted"']);
});

class Handle {
  closed = 0;
  close(): void {
    this.closed += 1;
  }
}

test('a newer notification of a task replaces the older; other tasks keep theirs', () => {
  const slots = new NoticeSlots<Handle>();
  const first = new Handle();
  const other = new Handle();
  slots.replace('t1', first);
  slots.replace('t2', other);
  const second = new Handle();
  slots.replace('t1', second);
  assert.equal(first.closed, 1);
  assert.equal(second.closed, 0);
  assert.equal(other.closed, 0);
  assert.equal(slots.size, 2);
  // The first one's own close (its timer) must not forget the second.
  slots.closed('t1', first);
  assert.equal(slots.size, 2);
  slots.closed('t1', second);
  assert.equal(slots.size, 1);
  slots.closeAll();
  assert.equal(other.closed, 1);
  assert.equal(slots.size, 0);
});

test('auto-close: seconds from the setting, 0 or less for never, a default for nonsense', () => {
  assert.equal(autoCloseMs(5), 5000);
  assert.equal(autoCloseMs(0), 0);
  assert.equal(autoCloseMs(-1), 0);
  assert.equal(autoCloseMs('x'), 10_000);
  assert.equal(autoCloseMs(undefined, 3), 3000);
});
