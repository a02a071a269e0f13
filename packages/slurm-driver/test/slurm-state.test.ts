import { readFileSync } from 'node:fs';
import { isTerminalState, type JobState } from '@hpc/core';
import { describe, expect, it } from 'vitest';
import { parseSacct, sacctArgs } from '../src/sacct-parse.ts';
import { mapSlurmState, parseExitCode, type SlurmJobReport } from '../src/slurm-state.ts';
import { parseSqueue, squeueArgs } from '../src/squeue-parse.ts';
import { userNameOfUid } from '../src/user-names.ts';

const captured = (name: string) =>
  readFileSync(new URL(`fixtures/captured/${name}`, import.meta.url), 'utf8');
const pick = (state: JobState) => {
  const { status } = state;
  const extra: Record<string, unknown> = { status };
  if ('reason' in state) extra.reason = state.reason;
  if ('cause' in state) extra.cause = state.cause;
  if ('by' in state) extra.by = state.by;
  if (state.exitCode !== undefined) extra.exitCode = state.exitCode;
  if (state.signal !== undefined) extra.signal = state.signal;
  return extra;
};

describe('mapSlurmState on captured Slurm 22.05 output', () => {
  it('maps `sacct -X -o JobIDRaw,State,ExitCode` rows', () => {
    const rows = captured('sacct-x.txt')
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const states = Object.fromEntries(
      rows.map(([id, state, exitCode]) => [
        id,
        pick(mapSlurmState({ state: state as string, exitCode: exitCode as string })),
      ]),
    );
    expect(states).toEqual({
      2031: { status: 'timeout', exitCode: 0 },
      2033: { status: 'failed', cause: 'exit-code', exitCode: 3 },
      2034: { status: 'failed', cause: 'out-of-memory', exitCode: 0, signal: 125 },
      2035: { status: 'cancelled', by: userNameOfUid('0'), exitCode: 0 },
      2036: { status: 'failed', cause: 'node-fail', exitCode: 0 },
    });
  });

  it('maps sacct rows with steps (allocation rows only matter; steps map too)', () => {
    const rows = captured('sacct-steps.txt')
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const states = rows.map(([id, , state, exitCode, , , , , nodes]) => [
      id,
      pick(mapSlurmState({ state: state as string, exitCode: exitCode as string, nodes: nodes as string })),
    ]);
    expect(Object.fromEntries(states)).toEqual({
      2031: { status: 'timeout', exitCode: 0 },
      '2031.batch': { status: 'cancelled', exitCode: 0, signal: 15 },
      2032: { status: 'completed', exitCode: 0 },
      '2035.batch': { status: 'cancelled', exitCode: 0, signal: 15 },
      2036: { status: 'failed', cause: 'node-fail', exitCode: 0 },
      2037: { status: 'pending', exitCode: 0 },
      2038: { status: 'running', exitCode: 0 },
    });
    expect(mapSlurmState({ state: 'NODE_FAIL', nodes: 'n3' })).toMatchObject({
      node: 'n3',
      message: 'node n3 failed while the job ran',
    });
    expect(mapSlurmState({ state: 'PENDING', nodes: 'None assigned' }).node).toBeUndefined();
  });

  it("maps `squeue -t all -o '%i|%j|%T|%r|...'` rows with their reasons", () => {
    const rows = captured('squeue-all.txt')
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const states = rows.map(([id, , state, reason]) => [
      id,
      pick(mapSlurmState({ state: state as string, reason: reason as string })),
    ]);
    expect(Object.fromEntries(states)).toEqual({
      2031: { status: 'completing' },
      2037: { status: 'pending', reason: 'JobHeldUser' },
      2038: { status: 'running' },
      3757: { status: 'failed', cause: 'exit-code' },
      3758: { status: 'failed', cause: 'out-of-memory' },
      7763: { status: 'failed', cause: 'node-fail' },
      7764: { status: 'pending', reason: 'BeginTime' },
    });
  });

  it("keeps SLURM's own words in raw", () => {
    expect(mapSlurmState({ state: 'CANCELLED by 0', exitCode: '0:0' }).raw).toBe('CANCELLED by 0');
    expect(mapSlurmState({ state: 'PENDING', reason: 'Dependency' }).raw).toBe('PENDING (Dependency)');
    expect(mapSlurmState({ state: 'RUNNING', reason: 'None' }).raw).toBe('RUNNING');
  });

  it.each([
    ['PD', 'pending'],
    ['R', 'running'],
    ['CG', 'completing'],
    ['CD', 'completed'],
    ['F', 'exit-code'],
    ['CA', 'cancelled'],
    ['TO', 'timeout'],
    ['OOM', 'out-of-memory'],
    ['NF', 'node-fail'],
    ['BF', 'node-fail'],
    ['PR', 'preempted'],
    ['RQ', 'requeued'],
    ['RH', 'requeued'],
    ['SE', 'requeued'],
    ['RF', 'requeued'],
    ['DL', 'timeout'],
    ['S', 'pending'],
    ['ST', 'pending'],
    ['CF', 'pending'],
    ['RS', 'running'],
    ['SI', 'running'],
    ['SO', 'completing'],
    ['RV', 'cancelled'],
    ['RD', 'pending'],
    ['PREEMPTED', 'preempted'],
    ['REQUEUED', 'requeued'],
    ['BOOT_FAIL', 'node-fail'],
    ['DEADLINE', 'timeout'],
    ['SUSPENDED', 'pending'],
    ['CONFIGURING', 'pending'],
    ['CANCELLED+', 'cancelled'],
  ])('maps %s', (state, expected) => {
    const mapped = mapSlurmState({ state });
    expect('cause' in mapped ? mapped.cause : mapped.status).toBe(expected);
  });

  it('gives unknown (with the text) for a state it does not know, never a guess', () => {
    expect(mapSlurmState({ state: 'WEIRD_NEW_STATE' })).toEqual({
      status: 'unknown',
      reason: "unrecognised SLURM state 'WEIRD_NEW_STATE'",
      raw: 'WEIRD_NEW_STATE',
    });
  });

  it('tells a signal death from an exit code', () => {
    expect(mapSlurmState({ state: 'FAILED', exitCode: '0:11' })).toMatchObject({
      status: 'failed',
      cause: 'signal',
      signal: 11,
    });
    expect(mapSlurmState({ state: 'FAILED', exitCode: '7:0' })).toMatchObject({
      status: 'failed',
      cause: 'exit-code',
      exitCode: 7,
    });
    expect(parseExitCode('')).toBeUndefined();
    expect(parseExitCode('3:0')).toEqual({ exitCode: 3, signal: 0 });
  });

  it('calls exactly the finished states terminal', () => {
    const terminal = [
      'COMPLETED',
      'FAILED',
      'CANCELLED',
      'TIMEOUT',
      'OUT_OF_MEMORY',
      'NODE_FAIL',
      'PREEMPTED',
      'BOOT_FAIL',
      'DEADLINE',
    ];
    const live = ['PENDING', 'RUNNING', 'COMPLETING', 'REQUEUED', 'SUSPENDED', 'CONFIGURING'];
    for (const state of terminal) expect(isTerminalState(mapSlurmState({ state }))).toBe(true);
    for (const state of live) expect(isTerminalState(mapSlurmState({ state }))).toBe(false);
  });
});

describe('parseSqueue / parseSacct on the driver formats (real output)', () => {
  it('parses squeue, with a name holding the separator', () => {
    const reports = parseSqueue(captured('driver-format-squeue.txt'));
    expect([...reports.keys()]).toEqual(['8', '7', '5', '6']);
    expect(reports.get('5')).toEqual({
      state: 'PENDING',
      reason: 'JobHeldUser',
      name: 'held|pipe',
      submittedAt: '2026-11-21T09:34:06',
    });
    expect(reports.get('6')).toMatchObject({
      state: 'RUNNING',
      nodes: 'n1',
      startedAt: '2026-11-21T09:34:06',
    });
    expect(pick(mapSlurmState(reports.get('7') as never))).toEqual({
      status: 'pending',
      reason: 'Dependency',
    });
    expect(pick(mapSlurmState(reports.get('8') as never))).toEqual({ status: 'failed', cause: 'exit-code' });
  });

  it('parses sacct --parsable2 with step rows', () => {
    // Captured 2026-12-03 with SACCT_FIELDS (MaxRSS, TotalCPU, ReqMem, AllocCPUS added; no -X).
    const reports = parseSacct(captured('driver-format-sacct.txt'));
    expect([...reports.keys()]).toEqual(['45224', '45225', '45226', '45227', '45228', '45229']);
    expect(reports.get('45225')).toMatchObject({
      state: 'CANCELLED by 0',
      exitCode: '0:0',
      name: 'held|pipe',
      endedAt: '2026-12-03T07:37:19',
    });
    expect(reports.get('45226')).toMatchObject({ nodes: 'n1', elapsedMs: 3000 });
    expect(pick(mapSlurmState(reports.get('45224') as never))).toEqual({
      status: 'failed',
      cause: 'exit-code',
      exitCode: 3,
    });
  });

  it("keeps sacct's figures, MaxRSS from the batch step row, in a finished job's state", () => {
    const reports = parseSacct(captured('driver-format-sacct.txt'));
    // 45229: -c 2 --mem=300M --time=00:05:00, 150 MiB touched, ~2 s of CPU.
    const burn = {
      source: 'sacct',
      maxRssBytes: 168_568 * 1024,
      totalCpuMs: 2108,
      reqMemBytes: 300 * 1024 ** 2,
      allocCpus: 2,
      elapsedMs: 3000,
      timeLimitMs: 300_000,
      nodes: 'n1',
    };
    expect(reports.get('45229')?.usage).toEqual(burn);
    expect(mapSlurmState(reports.get('45229') as never).scheduler).toEqual(burn);
    expect(reports.get('45224')?.usage).toMatchObject({ maxRssBytes: 1088 * 1024, totalCpuMs: 1 });
    // Never started: no step row, no peak, no node.
    expect(reports.get('45225')?.usage).toEqual({
      source: 'sacct',
      totalCpuMs: 0,
      reqMemBytes: 500 * 1024 ** 2,
      allocCpus: 1,
      elapsedMs: 0,
    });
    // A live job's figures are partial: not kept in its state.
    expect(
      mapSlurmState({ ...(reports.get('45229') as SlurmJobReport), state: 'RUNNING' }).scheduler,
    ).toBeUndefined();
  });

  it('gives array tasks their own step figures (JobID column)', () => {
    const reports = parseSacct(captured('driver-format-sacct-array.txt'));
    expect([...reports.keys()]).toEqual(['45230_0', '45230_1', '45230_2']);
    expect(reports.get('45230_1')?.usage).toMatchObject({ maxRssBytes: 1088 * 1024, totalCpuMs: 3 });
  });

  it('says how long a TIMEOUT job ran against its limit (sacct ElapsedRaw / Timelimit)', () => {
    const reports = parseSacct(captured('driver-format-sacct.txt'));
    expect(reports.get('45228')).toMatchObject({ state: 'TIMEOUT', elapsedMs: 82_000, timeLimitMs: 60_000 });
    expect(reports.get('45225')?.timeLimitMs).toBeUndefined(); // Partition_Limit
    expect(reports.get('45224')?.timeLimitMs).toBeUndefined(); // UNLIMITED
    expect(mapSlurmState(reports.get('45228') as never)).toMatchObject({
      status: 'timeout',
      raw: 'TIMEOUT; ran 1m22s of its 1m limit',
      timeLimitMs: 60_000,
      elapsedMs: 82_000,
    });
    expect(mapSlurmState({ state: 'TIMEOUT', elapsedMs: 123_000, timeLimitMs: 120_000 }).raw).toBe(
      'TIMEOUT; ran 2m03s of its 2m limit',
    );
    expect(mapSlurmState({ state: 'TIMEOUT' }).raw).toBe('TIMEOUT');
  });

  it('lets the last row win for an id listed twice (requeue, reused ids)', () => {
    const text =
      '9|NODE_FAIL|0:0|None|n3|x|x|x|5|UNLIMITED||0:01|500M|1|job\n9|RUNNING|0:0|None|n1|x|x|x|1|UNLIMITED||0:00|500M|1|job\n';
    expect(parseSacct(text).get('9')?.state).toBe('RUNNING');
  });

  it('skips blank and short lines', () => {
    expect(parseSqueue('\n\ngarbage\n').size).toBe(0);
    expect(parseSacct('1|COMPLETED\n').size).toBe(0);
  });

  it('builds argument arrays for all ids in one call', () => {
    expect(squeueArgs(['1', '2'])).toEqual([
      '--noheader',
      '--states=all',
      '--jobs=1,2',
      '--format=%i|%T|%r|%N|%V|%S|%j',
    ]);
    expect(sacctArgs(['3'])).toContain('--jobs=3');
    // Step rows are asked for by ids (they carry MaxRSS), not for a time window (they cost 15x there).
    expect(sacctArgs(['3'])).not.toContain('--allocations');
    const many = Array.from({ length: 201 }, (_, i) => String(i));
    expect(sacctArgs({ ids: many, since: '2026-12-03T00:00:00' })).toContain('--allocations');
    expect(sacctArgs({ ids: many })).not.toContain('--allocations');
    // Nor for batch arrays (a 1,000-task array: 0.2 s with steps, 0.07 s without).
    expect(sacctArgs({ ids: ['109'], tasks: true })).toContain('--allocations');
  });

  it('keeps no figures from output without step rows (TotalCPU reads 00:00:00 there)', () => {
    const text = captured('driver-format-sacct.txt');
    expect(parseSacct(text, { figures: false }).get('45229')?.usage).toBeUndefined();
    expect(parseSacct(text, { figures: false }).get('45229')?.state).toBe('COMPLETED');
  });
});
