import { describe, expect, it } from 'vitest';
import {
  blockedState,
  describeJobState,
  InvalidJobSettingError,
  type JobState,
  normalizeAfterEach,
  normalizeDependencies,
  refuseUnknownUpstreams,
  settleDependencies,
} from '../src/index.ts';

function refusal(work: () => unknown): InvalidJobSettingError {
  try {
    work();
  } catch (error) {
    if (error instanceof InvalidJobSettingError) return error;
    throw error;
  }
  throw new Error('expected an InvalidJobSettingError');
}

describe('normalizeDependencies', () => {
  it('trims ids, counts a repeated id once, and keeps the stricter list', () => {
    expect(
      normalizeDependencies({ after: [' 1 ', '1', '2'], afterAny: ['2', '3'], afterNotOk: ['4'] }),
    ).toEqual([
      { kind: 'after', upstream: '1', option: 'after[0]' },
      { kind: 'after', upstream: '2', option: 'after[2]' },
      { kind: 'afterAny', upstream: '3', option: 'afterAny[1]' },
      { kind: 'afterNotOk', upstream: '4', option: 'afterNotOk[0]' },
    ]);
    expect(normalizeDependencies({ afterAny: ['5'], afterNotOk: ['5'] })).toEqual([
      { kind: 'afterNotOk', upstream: '5', option: 'afterNotOk[0]' },
    ]);
    expect(normalizeDependencies({})).toEqual([]);
  });

  it('refuses empty strings, non-strings, control and invisible characters, naming the option', () => {
    const empty = refusal(() => normalizeDependencies({ after: ['1', '  '] }));
    expect(empty.setting).toBe('after[1]');
    expect(empty.problem).toBe('missing-value');
    const number = refusal(() => normalizeDependencies({ afterAny: [4711 as unknown as string] }));
    expect([number.setting, number.problem]).toEqual(['afterAny[0]', 'not-a-string']);
    const control = refusal(() => normalizeDependencies({ afterNotOk: ['12\n34'] }));
    expect([control.setting, control.problem]).toEqual(['afterNotOk[0]', 'control-character']);
    expect(control.message).toContain('\\n');
    const bidi = refusal(() => normalizeDependencies({ after: ['12\u202e'] }));
    expect(bidi.problem).toBe('format-character');
    const notList = refusal(() => normalizeDependencies({ after: '12' as unknown as string[] }));
    expect([notList.setting, notList.problem]).toEqual(['after', 'invalid-value']);
  });

  it('refuses one id in after and afterNotOk (it can never be satisfied)', () => {
    const error = refusal(() => normalizeDependencies({ after: ['7'], afterNotOk: ['8', '7'] }));
    expect(error.setting).toBe('afterNotOk[1]');
    expect(error.problem).toBe('dependency-cycle');
    expect(error.message).toContain('after[0]');
  });
});

describe('normalizeAfterEach', () => {
  it('needs one id per process', () => {
    expect(normalizeAfterEach(['1_0', '1_1'], 2)).toEqual(['1_0', '1_1']);
    expect(normalizeAfterEach(undefined, 2)).toBeUndefined();
    expect(refusal(() => normalizeAfterEach(['1_0'], 2)).message).toContain('the batch has 2 processes');
    expect(refusal(() => normalizeAfterEach(['1_0', ''], 2)).setting).toBe('afterEach[1]');
  });
});

describe('refuseUnknownUpstreams', () => {
  it('names the option and the id it does not track', () => {
    const edges = normalizeDependencies({ after: ['1'], afterAny: ['999'] });
    const error = refusal(() => refuseUnknownUpstreams(edges, (id) => id === '1', 'slurm'));
    expect(error.setting).toBe('afterAny[0]');
    expect(error.problem).toBe('unknown-job');
    expect(error.message).toMatch(/job 999 is not tracked by the slurm driver/);
    expect(() => refuseUnknownUpstreams(edges, () => true, 'slurm')).not.toThrow();
  });
});

describe('settleDependencies', () => {
  const states: Record<string, JobState> = {
    ok: { status: 'completed' },
    oom: { status: 'failed', cause: 'out-of-memory' },
    cancelled: { status: 'cancelled', by: '0' },
    running: { status: 'running' },
    pending: { status: 'pending', reason: 'Dependency' },
    unknown: { status: 'unknown', reason: 'not visible yet' },
  };
  const stateOf = (id: string) => states[id];
  const settle = (dependencies: Parameters<typeof normalizeDependencies>[0]) =>
    settleDependencies(normalizeDependencies(dependencies), stateOf);

  it('runs when every upstream ended the way its list asks', () => {
    expect(settle({ after: ['ok'], afterAny: ['oom', 'cancelled'] })).toEqual({ decision: 'run' });
    expect(settle({ afterNotOk: ['oom', 'cancelled'] })).toEqual({ decision: 'run' });
    expect(settle({})).toEqual({ decision: 'run' });
  });

  it('waits for upstreams that have not ended (or whose state is not known), listing only those', () => {
    const settled = settle({ after: ['ok', 'running'], afterAny: ['pending', 'unknown', 'missing'] });
    expect(settled.decision).toBe('wait');
    expect(settled.decision === 'wait' && settled.open.map((edge) => edge.upstream)).toEqual([
      'running',
      'pending',
      'unknown',
      'missing',
    ]);
  });

  it('blocks on the first upstream that can never satisfy its edge, even while others run', () => {
    const settled = settle({ after: ['running', 'oom', 'cancelled'] });
    expect(settled).toMatchObject({
      decision: 'blocked',
      edge: { upstream: 'oom' },
      upstreamState: states.oom,
    });
    expect(settle({ afterNotOk: ['ok'] })).toMatchObject({ decision: 'blocked', edge: { upstream: 'ok' } });
    // A blocked upstream never completes: an 'after' on it is blocked too, an 'afterAny' runs.
    states.chain = { status: 'blocked', upstream: 'oom', upstreamStatus: 'failed' };
    expect(settle({ after: ['chain'] })).toMatchObject({ decision: 'blocked' });
    expect(settle({ afterAny: ['chain'] })).toEqual({ decision: 'run' });
  });
});

describe('blockedState', () => {
  it('names the upstream, how it ended and why, for status and diagnosis', () => {
    const state = blockedState({ kind: 'after', upstream: '123' }, states0.oom, { raw: 'never submitted' });
    expect(state).toEqual({
      status: 'blocked',
      upstream: '123',
      upstreamStatus: 'failed',
      upstreamDetail: 'out-of-memory',
      dependency: 'after',
      raw: 'never submitted',
    });
    expect(describeJobState(state)).toBe('blocked by 123 (failed: out-of-memory)');
  });
});

const states0 = { oom: { status: 'failed', cause: 'out-of-memory' } } satisfies Record<string, JobState>;
