import { describe, expect, it } from 'vitest';
import { planBatch } from '../src/batch-plan.ts';
import { checkBatchShape } from '../src/batch-preparation.ts';
import { sliceOptions, sliceToken, submitSlices } from '../src/batch-submit.ts';
import type { CommandRunner } from '../src/command-runner.ts';
import type { InvalidJobSettingError } from '../src/errors.ts';

const limits = { maxArraySize: 1001, maxJobCount: 10_000 };
const token = 'ab'.repeat(8);

function fakeSbatch(answers: { exitCode: number; stdout?: string; stderr?: string }[]) {
  const calls: string[][] = [];
  const run: CommandRunner = async (command, args) => {
    calls.push([command, ...args]);
    const answer = command === 'sbatch' ? (answers.shift() ?? { exitCode: 0, stdout: '1' }) : { exitCode: 0 };
    return { command, args, stdout: '', stderr: '', durationMs: 1, ...answer };
  };
  return { run, calls };
}

describe('slices', () => {
  it('each slice: its array from 0, its share of %N, its own token, afterany on the one it waits for', () => {
    const plan = planBatch({ processes: 3000, processesPerTask: 1, parallelism: 2, limits });
    const queued = [
      { arrayId: '10', offset: 0, tasks: 1001 },
      { arrayId: '11', offset: 1001, tasks: 1001 },
    ];
    expect(sliceOptions(plan, 0, [], { token })).toEqual([`--array=0-1000%1`, `--comment=hpc:${token}`]);
    expect(
      sliceOptions(plan, 2, queued, { token, userComment: 'mine', userDependency: 'afterok:7' }),
    ).toEqual(['--array=0-997%1', `--comment=mine hpc:${token}0002`, '--dependency=afterok:7,afterany:10']);
    expect(sliceToken(token, 0)).toBe(token);
    const one = planBatch({ processes: 1, processesPerTask: 1, limits });
    expect(sliceOptions(one, 0, [], { token })[0]).toBe('--array=0');
  });

  it('one sbatch per slice with the slice offset as the script argument', async () => {
    const { run, calls } = fakeSbatch([
      { exitCode: 0, stdout: '20\n' },
      { exitCode: 0, stdout: '21' },
    ]);
    const plan = planBatch({ processes: 2500, processesPerTask: 2, limits });
    const outcome = await submitSlices(plan, {
      run,
      scriptPath: '/b/job.sh',
      batchDir: '/b',
      token,
      processesPerTask: 2,
    });
    expect(outcome).toEqual({
      kind: 'queued',
      slices: [
        { arrayId: '20', offset: 0, tasks: 1001 },
        { arrayId: '21', offset: 1001, tasks: 249 },
      ],
    });
    expect(calls.map((call) => call.slice(-2))).toEqual([
      ['/b/job.sh', '0'],
      ['/b/job.sh', '1001'],
    ]);
  });

  it('stops at the slice sbatch refuses and says which were queued', async () => {
    const { run } = fakeSbatch([
      { exitCode: 0, stdout: '30' },
      {
        exitCode: 1,
        stderr: 'sbatch: error: Batch job submission failed: Job violates accounting/QOS policy',
      },
    ]);
    const plan = planBatch({ processes: 1500, processesPerTask: 1, limits });
    const outcome = await submitSlices(plan, {
      run,
      scriptPath: '/b/job.sh',
      batchDir: '/b',
      token,
      processesPerTask: 1,
    });
    expect(outcome).toMatchObject({ kind: 'failed', failed: 1, slices: [{ arrayId: '30' }] });
  });
});

describe('checkBatchShape', () => {
  const refusal = (targets: unknown[], options: object) => {
    try {
      checkBatchShape(targets, options);
    } catch (error) {
      return error as InvalidJobSettingError;
    }
    throw new Error('not refused');
  };

  it('refuses an empty list and out-of-range counts, naming the setting', () => {
    expect(refusal([], {}).message).toMatch(/submitJobs\(targets\).*at least|1 to/);
    expect(refusal([1, 2], { processesPerTask: 0 }).setting).toBe('processesPerTask');
    expect(refusal([1, 2], { processesPerTask: 1.5 }).message).toMatch(/whole number from 1 to 2/);
    expect(refusal([1, 2], { processesPerTask: 3 }).message).toMatch(/2 processes/);
    expect(refusal([1], { parallelism: -1 }).setting).toBe('parallelism');
    expect(refusal([1], { parallelism: Number.NaN }).message).toMatch(/leave it out/);
    expect(checkBatchShape([1, 2, 3], { parallelism: 2, processesPerTask: 3 })).toEqual({
      count: 3,
      processesPerTask: 3,
      parallelism: 2,
    });
  });
});
