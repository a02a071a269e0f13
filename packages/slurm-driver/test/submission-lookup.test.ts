import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  LOOKUP_SACCT_FIELDS,
  LOOKUP_SQUEUE_FORMAT,
  lookupSacctArgs,
  lookupSqueueArgs,
  matchTokens,
  slurmLocalTime,
} from '../src/submission-lookup.ts';

const captured = (name: string) =>
  readFileSync(new URL(`fixtures/captured/${name}`, import.meta.url), 'utf8');

const HELD = '1111222233334444';
const DONE = '5555666677778888';
const REFUSED = '9999aaaabbbbcccc';
const ARRAY = 'ddddeeeeffff0000';
const ABSENT = '0123456789abcdef';

describe('matchTokens on captured Slurm 22.05 output', () => {
  it('finds each token in squeue --me (comment or work dir), the refusal record marked', () => {
    const found = matchTokens(captured('lookup-squeue.txt'), [HELD, DONE, REFUSED, ARRAY, ABSENT]);
    expect(found.get(HELD)).toEqual([
      { id: '65', submittedAt: '2026-12-02T07:42:51', state: 'PENDING', refusedAtSubmit: false },
    ]);
    expect(found.get(DONE)).toMatchObject([{ id: '66', state: 'COMPLETED', refusedAtSubmit: false }]);
    expect(found.get(REFUSED)).toMatchObject([{ id: '67', state: 'FAILED', refusedAtSubmit: true }]);
    expect(found.get(ARRAY)).toMatchObject([{ id: '68', state: 'PENDING' }]);
    expect(found.has(ABSENT)).toBe(false);
  });

  it('finds them in sacct by work dir (no comment kept), array tasks as their array', () => {
    const found = matchTokens(captured('lookup-sacct.txt'), [HELD, DONE, REFUSED, ARRAY, ABSENT]);
    expect(found.get(HELD)?.map((m) => m.id)).toEqual(['65']);
    expect(found.get(REFUSED)).toMatchObject([{ id: '67', refusedAtSubmit: true }]);
    expect(found.get(ARRAY)).toEqual([
      { id: '68', submittedAt: '2026-12-02T07:42:51', state: 'COMPLETED', refusedAtSubmit: false },
    ]);
    expect(found.size).toBe(4);
  });

  it('lists every job that carries one token, oldest first (an sbatch that reached SLURM twice)', () => {
    const text = `71|2026-12-02T08:00:01|PENDING||hpc:${HELD}|/j/x-${HELD}\n70|2026-12-02T08:00:00|RUNNING|n1|hpc:${HELD}|/j/x-${HELD}\n`;
    expect(
      matchTokens(text, [HELD])
        .get(HELD)
        ?.map((m) => m.id),
    ).toEqual(['70', '71']);
  });

  it('ignores lines without a job id', () => {
    expect(matchTokens(`\nJOBID|x|${HELD}\n`, [HELD]).size).toBe(0);
  });

  it('asks for the whole queue of this user, and accounting from a local start time', () => {
    expect(lookupSqueueArgs()).toEqual([
      '--me',
      '--noheader',
      '--states=all',
      `--format=${LOOKUP_SQUEUE_FORMAT}`,
    ]);
    const since = new Date(2026, 11, 2, 7, 5, 9);
    expect(slurmLocalTime(since)).toBe('2026-12-02T07:05:09');
    expect(lookupSacctArgs(slurmLocalTime(since))).toEqual([
      '--allocations',
      '--noheader',
      '--parsable2',
      '--starttime=2026-12-02T07:05:09',
      `--format=${LOOKUP_SACCT_FIELDS.join(',')}`,
    ]);
  });
});
