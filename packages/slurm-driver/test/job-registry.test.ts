import { execFile } from 'node:child_process';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asJobId, fileModes } from '@hpc/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobStoreError } from '../src/errors.ts';
import { JobPreparation, type SLURMSubmitOptions } from '../src/job-preparation.ts';
import { parseJobRecord, readJobRecord } from '../src/job-record.ts';
import { JobRegistry } from '../src/job-registry.ts';
import { defaultStorePath } from '../src/store-location.ts';
import { nodeScriptArgs, REPO_ROOT } from './cluster-helpers.ts';
import { AddNumbers } from './fixtures/slurm-processes.ts';

const modes = fileModes('private');

/** A home with its jobs root; each registry stands for one host (its own index file). */
function setup() {
  const home = mkdtempSync(join(tmpdir(), 'hpc-registry-'));
  const root = join(home, 'slurm', 'jobs');
  const host = (name: string) =>
    new JobRegistry({ root, home, modes, storePath: join(home, `${name}.sqlite`) });
  return { home, root, host };
}

const opened: JobRegistry[] = [];
afterEach(() => {
  for (const registry of opened.splice(0)) registry.close();
});
function track<T extends JobRegistry>(registry: T): T {
  opened.push(registry);
  return registry;
}

describe('JobRegistry: the folders are the record, the index a per-host cache', () => {
  it('records the intent before sbatch, the id after, and another host catches up', async () => {
    const { root, host } = setup();
    const a = track(host('a'));
    const submission = await a.begin('my-job', root);
    const intent = readJobRecord(submission.jobDir);
    expect(intent).toMatchObject({ token: submission.token, name: 'my-job', jobDir: submission.jobDir });
    expect(intent?.id).toBeUndefined();
    expect(submission.jobDir).toContain(submission.token);
    expect(a.intents().map((i) => i.token)).toEqual([submission.token]);

    await a.confirm(submission, asJobId('101'), 'sbatch', { crate: join(submission.jobDir, 'process.bin') });
    expect(readJobRecord(submission.jobDir)).toMatchObject({ id: '101', idFrom: 'sbatch' });
    expect(a.intents()).toEqual([]);

    const b = track(host('b'));
    expect(b.jobs().map((job) => [job.id, job.jobDir])).toEqual([['101', submission.jobDir]]);
  });

  it('removes an abandoned submission completely', async () => {
    const { root, host } = setup();
    const a = track(host('a'));
    const submission = await a.begin('refused', root);
    a.abandon(submission);
    expect(readdirSync(root)).toEqual([]);
    expect(a.intents()).toEqual([]);
    expect(a.jobs()).toEqual([]);
  });

  it('rebuilds a lost index from the folders, final states included (no SLURM call needed)', async () => {
    const { root, host, home } = setup();
    const a = track(host('a'));
    for (const id of ['1', '2', '3']) await a.confirm(await a.begin(`j${id}`, root), asJobId(id), 'sbatch');
    a.update([
      { id: asJobId('2'), state: { status: 'cancelled', by: '0' }, final: true, missingSince: undefined },
      { id: asJobId('3'), state: { status: 'running' }, final: true, missingSince: undefined },
    ]);
    await a.finalStatesWritten();
    expect(readJobRecord(a.get('2')?.jobDir as string)?.finalState).toEqual({ status: 'cancelled', by: '0' });
    a.close();
    for (const file of readdirSync(home))
      if (file.startsWith('a.sqlite')) writeFileSync(join(home, file), '');

    const again = track(host('a'));
    const jobs = again.jobs();
    expect(jobs.map((job) => job.id)).toEqual(['1', '2', '3']);
    expect(jobs.find((job) => job.id === '2')).toMatchObject({
      terminal: true,
      state: { status: 'cancelled' },
    });
    expect(jobs.find((job) => job.id === '3')).toMatchObject({ terminal: false }); // 'final' only for terminal states
  });

  it('replaces a corrupt index (garbage bytes) by a rebuild, and answers', async () => {
    const { root, host, home } = setup();
    const a = track(host('a'));
    await a.confirm(await a.begin('x', root), asJobId('7'), 'sbatch');
    expect(a.rebuiltAfter).toBeUndefined(); // a new index is built without a word
    a.close();
    writeFileSync(join(home, 'a.sqlite'), Buffer.alloc(64 * 1024, 0x5a));
    const again = track(host('a'));
    expect(again.jobs().map((job) => job.id)).toEqual(['7']);
    expect(readFileSync(join(home, 'a.sqlite')).subarray(0, 15).toString()).toBe('SQLite format 3');
    expect(again.rebuiltAfter).toMatchObject({
      _tag: 'JobStoreError',
      problem: 'corrupt',
      file: join(home, 'a.sqlite'),
      detail: expect.stringMatching(/not a database/),
    });
  });

  it('names a damaged job.json and tracks the others', async () => {
    const { root, host } = setup();
    const a = track(host('a'));
    const good = await a.begin('good', root);
    await a.confirm(good, asJobId('1'), 'sbatch');
    const bad = await a.begin('bad', root);
    await a.confirm(bad, asJobId('2'), 'sbatch');
    const file = join(bad.jobDir, 'job.json');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    const b = track(host('b'));
    expect(b.jobs().map((job) => job.id)).toEqual(['1']);
    expect([...b.unreadable.keys()]).toEqual([file]);
    expect(b.unreadable.get(file)?.message).toMatch(/job\.json: not JSON .*truncated/);
  });

  it('settles an intent another host confirmed, and forgets on every host', async () => {
    const { root, host } = setup();
    const a = track(host('a'));
    const submission = await a.begin('shared', root);
    const b = track(host('b'));
    expect(b.intents().map((i) => i.token)).toEqual([]);
    b.refresh();
    expect(b.intents().map((i) => i.token)).toEqual([submission.token]);
    await a.confirm(submission, asJobId('55'), 'sbatch');
    expect(b.jobs().map((job) => job.id)).toEqual(['55']);
    expect(b.intents()).toEqual([]);

    expect(await a.forget('55')).toBe(true);
    expect(readJobRecord(submission.jobDir)?.forgottenAt).toBeDefined();
    expect(track(host('c')).jobs()).toEqual([]);
  });

  it('finds a folder made outside the root through its pointer', async () => {
    const { root, host, home } = setup();
    const elsewhere = join(home, 'scratch', 'jobs');
    const a = track(host('a'));
    const submission = await a.begin('far', elsewhere);
    await a.confirm(submission, asJobId('9'), 'sbatch');
    expect(submission.jobDir.startsWith(elsewhere)).toBe(true);
    expect(lstatSync(join(root, readdirSync(root)[0] as string)).isSymbolicLink()).toBe(true);
    expect(
      track(host('b'))
        .jobs()
        .map((job) => job.jobDir),
    ).toEqual([submission.jobDir]);
  });

  it('creates folders 0700 and files 0600 whatever the umask', async () => {
    const { root, host, home } = setup();
    const previous = process.umask(0);
    try {
      const a = track(host('a'));
      const submission = await a.begin('modes', root);
      await a.confirm(submission, asJobId('3'), 'sbatch');
      const mode = (path: string) => statSync(path).mode & 0o777;
      expect(mode(join(home, 'slurm'))).toBe(0o700);
      expect(mode(root)).toBe(0o700);
      expect(mode(submission.jobDir)).toBe(0o700);
      expect(mode(join(submission.jobDir, 'job.json'))).toBe(0o600);
      expect(mode(join(home, 'a.sqlite'))).toBe(0o600);
      for (const file of readdirSync(home).filter((f) => f.startsWith('a.sqlite')))
        expect([file, mode(join(home, file))]).toEqual([file, 0o600]);
    } finally {
      process.umask(previous);
    }
  });

  it('keeps the default index in a private per-user folder of the temporary file system', async () => {
    const { root, home } = setup();
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'hpc-tmp-'));
    try {
      const path = defaultStorePath(home);
      expect(path.startsWith(join(process.env.TMPDIR, `hpc-${process.getuid?.()}`))).toBe(true);
      const a = track(new JobRegistry({ root, home, modes }));
      expect(a.storePath).toBe(path);
      await a.confirm(await a.begin('x', root), asJobId('1'), 'sbatch');
      expect(statSync(join(process.env.TMPDIR, `hpc-${process.getuid?.()}`)).mode & 0o777).toBe(0o700);
      a.close();

      // Someone else made the folder first: refused, naming it and what to do.
      const other = mkdtempSync(join(tmpdir(), 'hpc-tmp-'));
      process.env.TMPDIR = other;
      mkdirSync(join(other, `hpc-${process.getuid?.()}`), { mode: 0o777 });
      chownSync(join(other, `hpc-${process.getuid?.()}`), 65534, 65534);
      let caught: JobStoreError | undefined;
      try {
        new JobRegistry({ root, home, modes }).jobs();
      } catch (error) {
        caught = error as JobStoreError;
      }
      expect(caught).toMatchObject({ _tag: 'JobStoreError', problem: 'unsafe-folder' });
      expect(caught?.message).toMatch(/owned by uid 65534.*storePath/);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
  });

  it('reads records of the previous driver (version 1: id, name, jobDir, submittedAt)', () => {
    const record = parseJobRecord(
      JSON.stringify({
        id: '5',
        driver: 'slurm',
        name: 'old',
        jobDir: '/j/old',
        submittedAt: '2026-01-01T00:00:00Z',
      }),
      '/j/old/job.json',
    );
    expect(record).toMatchObject({ id: '5', token: '', name: 'old', createdAt: '2026-01-01T00:00:00Z' });
    expect(() => parseJobRecord('{"version":9}', '/j/x/job.json')).toThrow(/job\.json: record version 9/);
    expect(() => parseJobRecord('[]', '/j/x/job.json')).toThrow(/not a JSON object/);
  });
});

describe('JobRegistry: two processes writing one index at once', () => {
  it('tracks every job exactly once', async () => {
    const { root, home } = setup();
    const storePath = join(home, 'shared.sqlite');
    const script = `
      const { JobRegistry } = await import(${JSON.stringify(`${REPO_ROOT}packages/slurm-driver/src/job-registry.ts`)});
      const { fileModes } = await import('@hpc/core');
      const registry = new JobRegistry({ root: ${JSON.stringify(root)}, home: ${JSON.stringify(home)}, modes: fileModes(), storePath: ${JSON.stringify(storePath)} });
      const base = Number(process.argv.at(-1));
      await Promise.all(Array.from({ length: 60 }, async (_, i) => {
        const submission = await registry.begin('p' + base, ${JSON.stringify(root)});
        registry.refresh();
        await registry.confirm(submission, String(base + i), 'sbatch');
      }));
      registry.close();
    `;
    const run = (base: number) =>
      promisify(execFile)(process.execPath, [...nodeScriptArgs(script), String(base)], {
        cwd: `${REPO_ROOT}packages/slurm-driver`,
      });
    await Promise.all([run(1000), run(2000)]);
    const ids = track(new JobRegistry({ root, home, modes, storePath }))
      .jobs()
      .map((job) => job.id);
    expect(ids.length).toBe(120);
    expect(new Set(ids).size).toBe(120);
    const rebuilt = track(new JobRegistry({ root, home, modes, storePath: join(home, 'other.sqlite') }));
    expect(rebuilt.jobs().length).toBe(120);
    expect(rebuilt.intents()).toEqual([]);
  });
});

describe('JobPreparation: what a submission writes before sbatch', () => {
  it('stages the crate and writes the script and empty SLURM logs with the sharing modes, whatever the umask', async () => {
    const { root, home } = setup();
    const previous = process.umask(0);
    try {
      for (const [share, dir, file] of [
        ['private', 0o700, 0o600],
        ['group', 0o750, 0o640],
      ] as const) {
        const sharing = fileModes(share);
        const registry = track(
          new JobRegistry({ root, home, modes: sharing, storePath: join(home, `${share}.sqlite`) }),
        );
        const preparation = new JobPreparation({ sharing: share, modes: sharing });
        const submission = await registry.begin(`modes-${share}`, root);
        const prepared = await preparation.prepare(new AddNumbers(1, 2), {}, submission);
        const mode = (name: string) => statSync(join(submission.jobDir, name)).mode & 0o777;
        expect(statSync(submission.jobDir).mode & 0o777).toBe(dir);
        for (const name of ['job.json', 'job.sbatch', 'job.out', 'job.err', 'process.bin'])
          expect([share, name, mode(name)]).toEqual([share, name, file]);
        expect(readFileSync(prepared.scriptPath, 'utf8')).toContain(`'--share' '${share}'`);
        expect(prepared.details.crateDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      }
    } finally {
      process.umask(previous);
    }
  });

  it('refuses bad settings before any folder exists', () => {
    const { root } = setup();
    const preparation = new JobPreparation({ sharing: 'private', modes: fileModes('private') });
    const cases: [SLURMSubmitOptions, string][] = [
      [{ name: 'a\u202Eb' }, 'name'],
      [{ env: { X: '\u001b]0;' } }, 'env.X'],
      [{ slurmArgs: { time: '2 hours' } }, 'slurmArgs.time'],
      [{ imports: ['./x\u200B.ts'] }, 'imports[0]'],
    ];
    for (const [settings, setting] of cases) {
      expect(() => preparation.validate(new AddNumbers(), settings, root)).toThrow(
        expect.objectContaining({ _tag: 'InvalidJobSettingError', setting }),
      );
    }
    expect(() => preparation.validate({ crate: '/c.h5', object: '/p\u202E' }, {}, root)).toThrow(
      expect.objectContaining({ setting: 'object' }),
    );
    expect(() => preparation.validate(new AddNumbers(), {}, join(root, 'a\\b'))).toThrow(
      expect.objectContaining({ setting: 'jobsRoot' }),
    );
  });
});
