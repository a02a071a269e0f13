import {
  HpcError,
  JobFileUnreadableError,
  JobUnreadableError,
  unreadableFileOf,
  unreadableJobState,
  unreadableRecordOf,
} from '@hpc/core';
import { describe, expect, it } from 'vitest';

class RecordBroken extends JobFileUnreadableError {
  readonly _tag = 'RecordBroken';
  constructor(file: string, detail: string) {
    super(file, detail, `cannot read the record ${file}: ${detail}`);
  }
}

class Other extends HpcError {
  readonly _tag = 'Other';
  readonly file = '/x/job.json';
}

describe('the unreadable job file contract', () => {
  it("finds the file and the problem in any package's error for it, and in nothing else", () => {
    expect(unreadableRecordOf(new RecordBroken('/j/job.json', 'it is not valid JSON'))).toEqual({
      file: '/j/job.json',
      message: 'it is not valid JSON',
    });
    const jobLevel = new JobUnreadableError('local-3', { file: '/j/outcome.json', message: 'truncated' });
    expect(jobLevel.message).toBe(
      'cannot read job local-3: /j/outcome.json: truncated (repair or remove that file)',
    );
    expect(unreadableRecordOf(jobLevel)).toEqual({ file: '/j/outcome.json', message: 'truncated' });
    for (const other of [new Other('has a file, but is about something else'), new Error('x'), 'text', null])
      expect(unreadableRecordOf(other)).toBeUndefined();
  });

  it("is an 'unknown' state naming the file, with the driver's reason and details", () => {
    const unreadable = { file: '/j/outcome.json', message: 'truncated' };
    const state = unreadableJobState(unreadable);
    expect(state).toEqual({
      status: 'unknown',
      reason: 'cannot read /j/outcome.json: truncated',
      unreadable,
    });
    expect(unreadableJobState(unreadable, 'why', { name: 'MyProcess' })).toEqual({
      status: 'unknown',
      reason: 'why',
      unreadable,
      name: 'MyProcess',
    });
    expect(unreadableFileOf(state)).toEqual(unreadable);
    expect(unreadableFileOf({ status: 'unknown', reason: 'squeue said FOO' })).toBeUndefined();
    expect(unreadableFileOf({ status: 'completed' })).toBeUndefined();
  });
});
