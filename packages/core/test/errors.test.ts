import { describe, expect, it } from 'vitest';
import {
  asJobId,
  FileWriteError,
  type HpcErrorTag,
  InternalError,
  InvalidOptionError,
  isHpcError,
  JobNotFoundError,
  parseSlurmTimeMs,
} from '../src/index.ts';

describe('isHpcError', () => {
  it('checks tags at compile time and narrows to their classes', () => {
    const error: unknown = new JobNotFoundError('4711', 'slurm');
    if (isHpcError(error, 'JobNotFoundError')) expect(error.jobId).toBe('4711');
    else expect.unreachable('a JobNotFoundError');
    expect(isHpcError(error, 'FileWriteError', 'JobNotFoundError')).toBe(true);
    expect(isHpcError(error, 'FileWriteError')).toBe(false);
    // @ts-expect-error a misspelt tag does not compile
    expect(isHpcError(error, 'JobNotFoundErorr')).toBe(false);
    // @ts-expect-error any string does not compile either: tags are HpcErrorTag
    expect(isHpcError(error, String('JobNotFoundError'))).toBe(true);
    const tag: HpcErrorTag = 'InvalidOption';
    expect(isHpcError(new InvalidOptionError({ option: 'x', value: 1, allowed: '2' }), tag)).toBe(true);
  });

  it('knows no tag of a plain Error and of non-errors', () => {
    expect(isHpcError(new Error('x'))).toBe(false);
    expect(isHpcError(new Error('x'), 'Internal')).toBe(false);
    expect(isHpcError(undefined)).toBe(false);
    expect(isHpcError(new FileWriteError('/f', 'ENOSPC', 'write'))).toBe(true);
  });
});

describe('InvalidOptionError', () => {
  it('names the option, the value, what is allowed and what to do', () => {
    const error = new InvalidOptionError({
      option: 'limit',
      value: 0,
      allowed: 'a whole number of at least 1',
      remedy: 'pass { limit: 4 }',
    });
    expect(error).toMatchObject({
      _tag: 'InvalidOption',
      option: 'limit',
      value: 0,
      name: 'InvalidOptionError',
    });
    expect(error.message).toBe(
      'invalid option limit = 0: expected a whole number of at least 1; pass { limit: 4 }',
    );
    expect(new InvalidOptionError({ option: 'mode', value: 'x\u202e', allowed: "'a' or 'b'" }).message).toBe(
      "invalid option mode = \"x\\u202e\": expected 'a' or 'b'; pass 'a' or 'b'",
    );
  });

  it('is what parseSlurmTimeMs and asJobId throw', () => {
    expect(() => parseSlurmTimeMs('1h')).toThrow(expect.objectContaining({ _tag: 'InvalidOption' }));
    expect(() => parseSlurmTimeMs('1h')).toThrow(/not a SLURM time limit/);
    expect(() => asJobId('4711; rm')).toThrow(
      expect.objectContaining({ _tag: 'InvalidOption', option: 'job id' }),
    );
  });
});

describe('InternalError', () => {
  it('is tagged Internal and says it is a bug', () => {
    const error = new InternalError('x must be set');
    expect(isHpcError(error, 'Internal')).toBe(true);
    expect(error.message).toMatch(/internal error in @hpc: x must be set \(this is a bug/);
  });
});
