import { Process } from '@hpc/process';
import { describe, expect, it } from 'vitest';
import { requeueChoice } from '../src/requeue-choice.ts';
import { AddNumbers } from './fixtures/slurm-processes.ts';

class Checkpointing extends Process<number> {
  run(): number {
    return 1;
  }
  override checkpoint(): void {}
}

describe('requeueChoice', () => {
  const nodeFail = { maxAttempts: 3, on: ['node-fail' as const] };
  it('--no-requeue only when the policy takes node failures and no process can checkpoint', () => {
    expect(requeueChoice([new AddNumbers()], nodeFail)).toBe('never');
    expect(requeueChoice([new AddNumbers()], undefined)).toBe(true);
    expect(requeueChoice([new AddNumbers()], { maxAttempts: 3, on: ['out-of-memory'] })).toBe(true);
    // One attempt in all is no retry at all.
    expect(requeueChoice([new AddNumbers()], { maxAttempts: 1, on: ['node-fail'] })).toBe(true);
    expect(requeueChoice([new Checkpointing()], nodeFail)).toBe(true);
    expect(requeueChoice([new AddNumbers(), new Checkpointing()], nodeFail)).toBe(true);
    // A crate's class is not known on the login side: it may checkpoint.
    expect(requeueChoice(['/jobs/crate.bin'], nodeFail)).toBe(true);
  });
});
