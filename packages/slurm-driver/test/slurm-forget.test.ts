import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { asJobId, fileModes, type JobState } from '@hpc/core';
import { afterEach, describe, expect, it } from 'vitest';
import { JobRegistry } from '../src/job-registry.ts';
import { forgetSlurmJobs } from '../src/slurm-forget.ts';

const modes = fileModes('private');
const completed: JobState = { status: 'completed', endedAt: '2026-01-01T00:00:00Z' };
const running: JobState = { status: 'running' };

const opened: JobRegistry[] = [];
afterEach(() => {
  for (const registry of opened.splice(0)) registry.close();
});

/** A home and a registry per "host"; jobs are confirmed as sbatch would, their states given here (no SLURM). */
function setup() {
  const home = mkdtempSync(join(tmpdir(), 'hpc-forget-'));
  const root = join(home, 'slurm', 'jobs');
  const states = new Map<string, JobState>();
  const registry = (name: string) => {
    const made = new JobRegistry({ root, home, modes, storePath: join(home, `${name}.sqlite`) });
    opened.push(made);
    return made;
  };
  const submit = async (on: JobRegistry, id: string, state: JobState, jobsRoot = root, after?: string) => {
    const dependencies = after
      ? [{ kind: 'after' as const, upstream: after, option: 'after[0]' }]
      : undefined;
    const submission = await on.begin(`job-${id}`, jobsRoot, undefined, dependencies ? { dependencies } : {});
    await on.confirm(submission, asJobId(id), 'sbatch');
    states.set(id, state);
    return submission.jobDir;
  };
  const host = { home, checkAllJobStatuses: async () => states };
  return { home, root, registry, submit, host };
}

describe('forgetSlurmJobs', () => {
  it('removes a finished job folder and index row, on this host and (at its refresh) on another', async () => {
    const { root, registry, submit, host } = setup();
    const a = registry('a');
    const done = await submit(a, '55', completed);
    const busy = await submit(a, '56', running);
    const b = registry('b');
    expect(b.jobs().map((job) => job.id)).toEqual(['55', '56']);

    const report = await forgetSlurmJobs(host, a, ['55', '56']);
    expect(report.removed).toEqual([{ id: '55', ids: ['55'], jobDir: done }]);
    expect(report.refused).toEqual([
      expect.objectContaining({
        id: '56',
        reason: 'not-final',
        message: expect.stringContaining('hpc cancel 56'),
      }),
    ]);
    expect(existsSync(done)).toBe(false);
    expect(existsSync(busy)).toBe(true);
    expect(readdirSync(root)).toEqual([basename(busy)]);
    expect(a.jobs().map((job) => job.id)).toEqual(['56']);
    expect(b.jobs().map((job) => job.id)).toEqual(['56']);
    expect(
      registry('c')
        .jobs()
        .map((job) => job.id),
    ).toEqual(['56']);
  });

  it('keeps an upstream that a pending job names', async () => {
    const { root, registry, submit, host } = setup();
    const a = registry('a');
    const upstream = await submit(a, '60', completed);
    await submit(a, '61', { status: 'pending', reason: 'Dependency' }, root, '60');
    const report = await forgetSlurmJobs(host, a, ['60']);
    expect(report.refused).toEqual([
      expect.objectContaining({
        id: '60',
        reason: 'has-dependents',
        message: expect.stringContaining('61 depends on it'),
      }),
    ]);
    expect(existsSync(upstream)).toBe(true);
  });

  it('with dryRun removes nothing and says what would go', async () => {
    const { registry, submit, host } = setup();
    const a = registry('a');
    const done = await submit(a, '7', completed);
    const report = await forgetSlurmJobs(host, a, ['7'], { dryRun: true });
    expect(report.removed.map((job) => job.id)).toEqual(['7']);
    expect(existsSync(done)).toBe(true);
    expect(a.jobs().map((job) => job.id)).toEqual(['7']);
  });

  it('after a crash between the rename and the index update the job is not listed, and the tombstone goes next time', async () => {
    const { root, registry, submit, host } = setup();
    const a = registry('a');
    const done = await submit(a, '80', completed);
    await submit(a, '81', completed);
    expect(a.jobs()).toHaveLength(2);
    // What forgetPlanned's first step leaves behind when the process dies right after it.
    const tombstone = join(root, `.forgotten-${basename(done)}`);
    renameSync(done, tombstone);
    expect(a.jobs().map((job) => job.id)).toEqual(['81']);
    expect(
      registry('b')
        .jobs()
        .map((job) => job.id),
    ).toEqual(['81']);
    await forgetSlurmJobs(host, a, ['81']);
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses a job whose folder is a symbolic link or outside the home; neither is followed', async () => {
    const { registry, submit, host } = setup();
    const a = registry('a');
    const inside = await submit(a, '90', completed);
    // Its folder replaced by a link to somewhere else: the target must survive.
    const outside = mkdtempSync(join(tmpdir(), 'hpc-forget-outside-'));
    writeFileSync(join(outside, 'precious'), 'keep me');
    renameSync(inside, `${inside}.moved`);
    symlinkSync(outside, inside);
    // A job submitted with a jobsRoot outside the home (its pointer is in the root).
    const farRoot = mkdtempSync(join(tmpdir(), 'hpc-forget-far-'));
    mkdirSync(farRoot, { recursive: true });
    const far = await submit(a, '91', completed, farRoot);
    const report = await forgetSlurmJobs(host, a, ['90', '91']);
    expect(report.removed).toEqual([]);
    expect(report.refused.map((refusal) => [refusal.id, refusal.reason])).toEqual([
      ['90', 'outside-home'],
      ['91', 'outside-home'],
    ]);
    expect(report.refused[0]?.message).toContain('symbolic link');
    expect(report.refused[1]?.message).toContain(`outside the driver's home`);
    expect(existsSync(join(outside, 'precious'))).toBe(true);
    expect(existsSync(far)).toBe(true);
    expect(existsSync(inside)).toBe(true);
    expect(a.jobs().map((job) => job.id)).toEqual(['90', '91']);
  });
});
