import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureText, isFailureEcho, noticeFor } from '../src/pure/notices';
import { record } from './fixtures';

test('done and failed are announced once, on the change into that state', () => {
  const running = record({ state: 'running' });
  assert.deepEqual(noticeFor({ previous: running, current: record() }), {
    kind: 'done', message: 'cowork: Summary of calc.py is done.', artifactUri: record().artifactUri,
  });
  assert.equal(noticeFor({ previous: record(), current: record() }), undefined);
  const failed = record({ state: 'failed', error: 'the context budget is too small' });
  assert.deepEqual(noticeFor({ previous: running, current: failed }), {
    kind: 'failed', message: 'cowork: Summary of calc.py failed: the context budget is too small',
  });
});

test('cancelled, queued and running are not announced', () => {
  for (const state of ['cancelled', 'queued', 'running', 'interrupted'] as const) {
    assert.equal(noticeFor({ previous: undefined, current: record({ state }) }), undefined);
  }
});

test("the server's own failure message is recognised as an echo; other errors are not", () => {
  const failed = record({ state: 'failed', error: 'boom' });
  assert.equal(isFailureEcho(failureText(failed), [failed]), true);
  assert.equal(isFailureEcho('cowork.exclude from workspace/configuration: 3 is not valid', [failed]), false);
});
