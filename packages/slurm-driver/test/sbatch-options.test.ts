import { isHpcError } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import type { InvalidJobSettingError } from '../src/errors.ts';
import { SBATCH_OPTIONS, validateSlurmArgs } from '../src/sbatch-options.ts';

function problemOf(slurmArgs: Record<string, unknown>): InvalidJobSettingError {
  try {
    validateSlurmArgs(slurmArgs as never);
  } catch (error) {
    expect(isHpcError(error, 'InvalidJobSettingError')).toBe(true);
    return error as InvalidJobSettingError;
  }
  throw new Error('expected validateSlurmArgs to throw');
}

describe('validateSlurmArgs', () => {
  it('keeps long options with values, flags, numbers, and drops false', () => {
    expect(
      validateSlurmArgs({
        'cpus-per-task': '4',
        mem: '4G',
        time: '01:00:00',
        ntasks: 2,
        requeue: true,
        hold: false,
        nice: '',
      }),
    ).toEqual([
      { key: 'cpus-per-task', value: '4' },
      { key: 'mem', value: '4G' },
      { key: 'time', value: '01:00:00' },
      { key: 'ntasks', value: '2' },
      { key: 'requeue', value: undefined },
      { key: 'nice', value: undefined },
    ]);
  });

  it("accepts '--name' and submitit-style 'cpus_per_task'", () => {
    expect(validateSlurmArgs({ '--mem': '1G', cpus_per_task: '2' })).toEqual([
      { key: 'mem', value: '1G' },
      { key: 'cpus-per-task', value: '2' },
    ]);
  });

  it('knows the options of sbatch 22.05 (a sample from man sbatch)', () => {
    for (const name of [
      'account',
      'dependency',
      'gres',
      'kill-on-invalid-dep',
      'mem-per-cpu',
      'no-requeue',
      'open-mode',
      'partition',
      'signal',
      'wckey',
    ]) {
      expect(SBATCH_OPTIONS).toHaveProperty(name);
    }
  });

  it('refuses unknown options and suggests the near ones', () => {
    const error = problemOf({ 'cpu-per-task': '4' });
    expect(error.problem).toBe('unknown-option');
    expect(error.setting).toBe('slurmArgs.cpu-per-task');
    expect(error.message).toMatch(/did you mean 'cpus-per-task'/);
  });

  it('refuses short options with the long name to use', () => {
    const error = problemOf({ c: '4' });
    expect(error.problem).toBe('short-option');
    expect(error.message).toContain("'cpus-per-task'");
  });

  it('refuses the options the driver owns', () => {
    for (const key of ['output', 'error', 'parsable', 'wrap', 'wait', 'test-only']) {
      expect(problemOf({ [key]: 'x' }).problem).toBe('reserved-option');
    }
  });

  it('refuses array, pointing to submitJobs (one job folder cannot hold many tasks)', () => {
    const error = problemOf({ array: '0-9' });
    expect(error.problem).toBe('reserved-option');
    expect(error.setting).toBe('slurmArgs.array');
    expect(error.message).toMatch(/submitJobs\(processes, \{ parallelism, processesPerTask \}\)/);
  });

  it.each([
    ['newline', '4G\n#SBATCH --uid=0'],
    ['carriage return', '4G\r'],
    ['NUL', '4\u0000G'],
    ['escape', '\u001b[31m'],
    ['DEL', 'a\u007f'],
    ['line separator', 'a\u2028b'],
  ])('refuses a value with a %s, naming the key', (_, value) => {
    const error = problemOf({ mem: value });
    expect(error.problem).toBe('control-character');
    expect(error.setting).toBe('slurmArgs.mem');
    expect(error.message).toContain('slurmArgs.mem');
  });

  it.each([
    ['right-to-left override', 'x\u202Ey'],
    ['zero-width space', 'gpu\u200B'],
    ['byte order mark', '\uFEFF4G'],
  ])('refuses a value with a %s, naming the key and the character', (_, value) => {
    const error = problemOf({ mem: value });
    expect(error.problem).toBe('format-character');
    expect(error.setting).toBe('slurmArgs.mem');
    expect(error.message).toMatch(/U\+(202E|200B|FEFF)/);
  });

  it('refuses a missing value for options that need one and a value for flags', () => {
    expect(problemOf({ mem: true }).problem).toBe('missing-value');
    expect(problemOf({ partition: '' }).problem).toBe('missing-value');
    expect(problemOf({ requeue: 'yes' }).problem).toBe('unexpected-value');
  });

  it('refuses keys that are not option names, and duplicates', () => {
    expect(problemOf({ 'mem=1G': 'x' }).problem).toBe('invalid-name');
    expect(problemOf({ 'MEM ': '1G' }).problem).toBe('invalid-name');
    expect(problemOf({ 'a\nb': '1' }).problem).toBe('control-character');
    expect(problemOf({ mem: '1G', '--mem': '2G' }).problem).toBe('unexpected-value');
    expect(problemOf({ mem: Number.NaN }).problem).toBe('not-a-string');
    expect(problemOf({ mem: { size: 1 } }).problem).toBe('not-a-string');
  });
});
