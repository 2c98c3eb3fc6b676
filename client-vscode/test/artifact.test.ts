import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactTitle, firstHeading, isArtifactPath, kindFromFileName, parseLocalLink, splitArtifact } from '../src/pure/artifact';

const REVIEW = `---
cowork: 1
status: draft
taskId: f22d8b4c85a4
kind: review
title: Review of this branch against its base
git:
  head: 0123456789abcdef0123456789abcdef01234567
  branch: feature/subtract
  base: 89abcdef0123456789abcdef0123456789abcdef
context:
  files:
  - path: calc.py
---

# Review: this branch's changes

The answer.
`;

test('the front matter is split off; its scalars and git fields are read', () => {
  const parts = splitArtifact(REVIEW);
  assert.equal(parts.fields.status, 'draft');
  assert.equal(parts.fields.kind, 'review');
  assert.equal(parts.fields['git.branch'], 'feature/subtract');
  assert.equal(parts.fields['context.files'], undefined);
  assert.ok(parts.body.startsWith('\n# Review'));
  assert.equal(parts.bodyLine, 14);
  assert.equal(firstHeading(parts.body), "Review: this branch's changes");
  assert.deepEqual(splitArtifact('# No front matter\n'), { fields: {}, body: '# No front matter\n', bodyLine: 0 });
});

test('the layout with the provenance record at the end: the branch comes from the record', () => {
  const text = [
    '---', 'status: draft', 'taskId: abc', 'kind: review', 'title: Review of this branch against its base', 'cowork: 2', '---',
    '', "# Review: this branch's changes", '', 'The answer.', '', '---', '', '<details><summary>Provenance</summary>', '',
    'The full record:', '', '```yaml', 'taskId: abc', 'git:', '  head: 0123456', '  branch: feature/x', '  base: 89abcdef0123', '```', '', '</details>', '',
  ].join('\n');
  const parts = splitArtifact(text);
  assert.equal(parts.fields.status, 'draft');
  assert.equal(parts.fields['git.branch'], 'feature/x');
  assert.equal(parts.bodyLine, 7);
  assert.equal(artifactTitle({ fileName: 'x.md', fields: parts.fields, params: { base: 'main' } }), 'Review · feature/x vs main');
});

test('tab titles say what the artifact is, not its file name', () => {
  const fileName = '20261129-101500-review-review-of-this-branch-against-its-base.md';
  const { fields } = splitArtifact(REVIEW);
  // The recorded base is a commit id; the base the person asked for reads better.
  assert.equal(artifactTitle({ fileName, fields, params: { base: 'main' } }), 'Review · feature/subtract vs main');
  assert.equal(artifactTitle({ fileName, fields }), 'Review · feature/subtract');
  assert.equal(
    artifactTitle({ fileName: '20261129-101500-summarize-summary-of-engine-py.md', fields: { kind: 'summarize', title: 'Summary of engine.py' } }),
    'Summary · engine.py',
  );
  assert.equal(artifactTitle({ fileName: '20261129-101500-research-x.md', title: 'Research: queues or threads?', kind: 'research' }), 'Research · queues or threads?');
  assert.equal(artifactTitle({ fileName: 'notes.md', heading: 'Some `notes`' }), 'Some notes');
  assert.equal(artifactTitle({ fileName: 'notes.md' }), 'notes.md');
  assert.equal(kindFromFileName('20261129-101500-docs-x.md'), 'docs');
});

test('artifact paths and the links inside them', () => {
  assert.ok(isArtifactPath('/ws/.cowork/artifacts/20261129-101500-review-x.md'));
  assert.ok(!isArtifactPath('/ws/.cowork/briefs/x.md'));
  assert.deepEqual(parseLocalLink('../../calc.py#L4'), { path: '../../calc.py', startLine: 4, endLine: 4 });
  assert.deepEqual(parseLocalLink('../../src/a%20b.py#L4-L9'), { path: '../../src/a b.py', startLine: 4, endLine: 9 });
  assert.deepEqual(parseLocalLink('../../README.md'), { path: '../../README.md' });
  assert.equal(parseLocalLink('https://example.com'), undefined);
  assert.equal(parseLocalLink('#findings'), undefined);
});
