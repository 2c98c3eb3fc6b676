import type { TaskRecord } from '../src/pure/taskRecord';

/** A task record as the server sends it (server/cowork/engine/model.py `to_record`). */
export function record(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId: 'a1b2c3',
    kind: 'summarize',
    title: 'Summary of calc.py',
    state: 'done',
    createdAt: '2026-11-23T10:00:00.000Z',
    startedAt: '2026-11-23T10:00:01.000Z',
    finishedAt: '2026-11-23T10:00:13.500Z',
    artifactUri: 'file:///ws/.cowork/artifacts/20261123-100000-summarize-summary-of-calc-py.md',
    error: null,
    usage: { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.0081 },
    provider: 'anthropic',
    model: 'claude-sonnet-5-5',
    batchId: null,
    workspace: '/ws',
    params: { uri: 'file:///ws/calc.py' },
    briefUri: null,
    parentId: null,
    reviewed: null,
    stale: false,
    ...overrides,
  };
}
