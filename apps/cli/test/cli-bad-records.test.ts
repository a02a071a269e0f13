import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defaultStorePath } from '@hpc/slurm-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanHome, fixture, makeHome, runHpc } from './hpc-process.ts';

let home: string;

beforeAll(async () => {
  assertBuilt();
  home = await makeHome();
});
afterAll(() => cleanHome(home));

type StatusJson = {
  summary: Record<string, number>;
  jobs: { id: string; status: string; description: string; unreadable?: { file: string; message: string } }[];
};

describe('hpc status survives one bad record (local driver)', () => {
  const jobDir = (id: string) => join(home, 'local', 'jobs', id);
  let ids: string[];

  beforeAll(async () => {
    ids = [];
    for (let index = 0; index < 4; index++) {
      const result = await runHpc(['submit', fixture('my-process.ts'), '--wait', '--json'], { home });
      expect(result.exitCode).toBe(0);
      ids.push(JSON.parse(result.stdout).id);
    }
    // Job 2's outcome.json is cut short (a full disk, a crash of an old writer); job 3's job.json is garbled.
    const outcome = join(jobDir(ids[1] as string), 'outcome.json');
    await writeFile(outcome, (await readFile(outcome, 'utf8')).slice(0, 40));
    await writeFile(join(jobDir(ids[2] as string), 'job.json'), '{"id": "local-3", "na\u0000');
  });

  it('lists every other job, shows the two as unreadable naming their files, and exits 1', async () => {
    const result = await runHpc(['status'], { home });
    expect(result.exitCode).toBe(1);
    const [first, second, third, fourth] = ids as [string, string, string, string];
    for (const id of [first, fourth])
      expect(result.stdout).toMatch(new RegExp(`^${id}\\s+MyProcess\\s+completed`, 'm'));
    for (const id of [second, third])
      expect(result.stdout).toMatch(new RegExp(`^${id}\\s+unreadable\\s*$`, 'm'));
    expect(result.stdout).toContain('2 completed · 2 unreadable');
    expect(result.stderr).toContain(
      `hpc status: job ${second} is unreadable: ${join(jobDir(second), 'outcome.json')}: `,
    );
    expect(result.stderr).toContain(
      `hpc status: job ${third} is unreadable: ${join(jobDir(third), 'job.json')}: `,
    );
  });

  it('--json: the same jobs, the unreadable ones with the file and the error; exit 1', async () => {
    const result = await runHpc(['status', '--json'], { home });
    expect(result.exitCode).toBe(1);
    const parsed = JSON.parse(result.stdout) as StatusJson;
    expect(parsed.summary).toMatchObject({ total: 4, completed: 2, unreadable: 2 });
    expect(parsed.jobs.map((job) => job.id)).toEqual(ids);
    expect(parsed.jobs[1]).toMatchObject({
      status: 'unknown',
      description: 'unreadable',
      unreadable: { file: join(jobDir(ids[1] as string), 'outcome.json') },
    });
    expect(parsed.jobs[1]?.unreadable?.message).toMatch(/JSON/);
  });

  it('a good job asked by id is answered as usual; a bad one exits 1', async () => {
    const good = await runHpc(['status', ids[0] as string], { home });
    expect(good.exitCode).toBe(0);
    expect(good.stdout).toMatch(/completed/);
    const bad = await runHpc(['status', ids[1] as string, '--json'], { home });
    expect(bad.exitCode).toBe(1);
    expect((JSON.parse(bad.stdout) as StatusJson).jobs).toHaveLength(1);
  });

  it('result and logs of an unreadable job name the file (exit 1)', async () => {
    const result = await runHpc(['result', ids[1] as string], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^hpc result: cannot read job ${ids[1]}: ${join(jobDir(ids[1] as string), 'outcome.json')}: `,
      ),
    );
    const logs = await runHpc(['logs', ids[2] as string], { home });
    expect(logs.exitCode).toBe(1);
    expect(logs.stderr).toContain(
      `cannot read job ${ids[2]}: ${join(jobDir(ids[2] as string), 'job.json')}: `,
    );
  });

  it('--watch does not wait for an unreadable job forever', async () => {
    const result = await runHpc(
      ['status', ids[0] as string, ids[1] as string, '--watch', '--interval', '0.2'],
      {
        home,
        timeoutMs: 15_000,
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`${ids[1]}\\s+unreadable`));
    expect(result.stderr).toContain(join(jobDir(ids[1] as string), 'outcome.json'));
  });

  it('cancel --all reports the unreadable jobs as not cancelled', async () => {
    const result = await runHpc(['cancel', '--all'], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`job ${ids[1]} was not cancelled: its record is unreadable`);
  });
});

describe('a damaged SLURM job index (no cluster needed to open it)', () => {
  let slurmHome: string;
  let tmp: string;
  const slurm = () => ({ HPC_DRIVER: 'slurm', TMPDIR: tmp });
  /** The per-host index the driver keeps for this home, under this test's own TMPDIR. */
  const indexFile = () => {
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      return defaultStorePath(slurmHome);
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
  };

  beforeAll(async () => {
    slurmHome = join(home, 'slurm-home');
    tmp = join(home, 'slurm-tmp');
    await mkdir(tmp);
    // Two SLURM job folders as the driver leaves them after sbatch accepted the jobs, with their
    // outcome files (so their state needs no scheduler), and one that sbatch never accepted.
    const root = join(slurmHome, 'slurm', 'jobs');
    for (const [folder, id] of [
      ['MyProcess-20250101-000001-aaaa', '4101'],
      ['MyProcess-20250101-000002-bbbb', '4102'],
    ] as const) {
      const jobDir = join(root, folder);
      await mkdir(jobDir, { recursive: true });
      const submittedAt = `2025-01-01T00:00:0${id.at(-1)}.000Z`;
      await writeFile(
        join(jobDir, 'job.json'),
        JSON.stringify({ id, driver: 'slurm', name: 'MyProcess', jobDir, submittedAt }),
      );
      await writeFile(
        join(jobDir, 'outcome.json'),
        JSON.stringify({
          version: 1,
          status: 'ok',
          resultFile: 'result.bin',
          startedAt: submittedAt,
          finishedAt: submittedAt,
          durationMs: 5,
          host: 'node1',
          pid: 1,
        }),
      );
    }
    await mkdir(join(root, 'MyProcess-20250101-000003-cccc'));
  });

  it('a garbage index is rebuilt from the job folders: status answers for every recorded job', async () => {
    const first = await runHpc(['status', '--json'], { home: slurmHome, env: slurm() });
    expect(first.exitCode).toBe(0);
    const index = indexFile();
    expect(existsSync(index)).toBe(true);
    await writeFile(index, Buffer.alloc(4096, 0x5a)); // not a database any more
    const status = await runHpc(['status', '--json'], { home: slurmHome, env: slurm() });
    expect(status.stderr).toBe('');
    expect(status.exitCode).toBe(0);
    expect((JSON.parse(status.stdout) as StatusJson).jobs).toEqual([
      expect.objectContaining({ id: '4101', status: 'completed' }),
      expect.objectContaining({ id: '4102', status: 'completed' }),
    ]);
    const doctor = await runHpc(['doctor', '--json'], { home: slurmHome, env: { TMPDIR: tmp } });
    const check = (
      JSON.parse(doctor.stdout) as { checks: { name: string; status: string; detail: string }[] }
    ).checks.find((entry) => entry.name === 'job store');
    expect(check).toMatchObject({ status: 'ok', detail: expect.stringContaining('2 SLURM jobs recorded') });
    expect(check?.detail).toContain(index);
  });

  it("an index folder that is not safely the user's is refused in one line naming it (exit 1)", async () => {
    const folder = dirname(indexFile());
    await chown(folder, 65534, 65534); // another user made $TMPDIR/hpc-<uid> first
    try {
      const status = await runHpc(['status'], { home: slurmHome, env: slurm() });
      expect(status.exitCode).toBe(1);
      const lines = status.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${folder} is owned by uid 65534, not a private folder of yours`);
      const doctor = await runHpc(['doctor', '--json'], { home: slurmHome, env: { TMPDIR: tmp } });
      expect(doctor.exitCode).toBe(1);
      expect(doctor.stdout).toContain('owned by uid 65534');
    } finally {
      await chown(folder, 0, 0);
    }
  });
});
