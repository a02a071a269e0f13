import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
    // Job 2's job.json is fine, so the driver still knows its name; job 3's name is lost with its record.
    expect(result.stdout).toMatch(new RegExp(`^${second}\\s+MyProcess\\s+unreadable\\s*$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^${third}\\s+unreadable\\s*$`, 'm'));
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
    expect(result.stdout).toMatch(new RegExp(`${ids[1]}\\s+MyProcess\\s+unreadable`));
    expect(result.stderr).toContain(join(jobDir(ids[1] as string), 'outcome.json'));
  });

  it('cancel --all reports the unreadable jobs as not cancelled', async () => {
    const result = await runHpc(['cancel', '--all'], { home });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`job ${ids[1]} was not cancelled: its record is unreadable`);
  });
});

describe('the SLURM job index and records, damaged or unsafe (no cluster needed: the jobs say they finished)', () => {
  let slurmHome: string;
  /** The hpc runs' TMPDIR: the driver keeps its per-host index in <tmp>/hpc-<uid>/. */
  let tmp: string;
  const slurm = (tmpDir = tmp) => ({ HPC_DRIVER: 'slurm', TMPDIR: tmpDir });
  const indexFolder = (tmpDir = tmp) => join(tmpDir, `hpc-${process.getuid?.()}`);
  const jobsRoot = () => join(slurmHome, 'slurm', 'jobs');
  const damagedRecord = () => join(jobsRoot(), 'MyProcess-20250101-000004-dddd', 'job.json');
  type DoctorJson = { checks: { name: string; status: string; detail: string; fix?: string }[] };
  const storeCheck = (report: string) =>
    (JSON.parse(report) as DoctorJson).checks.find((entry) => entry.name === 'job store');

  beforeAll(async () => {
    slurmHome = join(home, 'slurm-home');
    tmp = join(slurmHome, 'tmp');
    await mkdir(tmp, { recursive: true });
    // Two SLURM job folders as the driver leaves them after sbatch accepted the jobs, with their
    // outcome files (so their state needs no scheduler), and one that sbatch never accepted.
    for (const [folder, id] of [
      ['MyProcess-20250101-000001-aaaa', '4101'],
      ['MyProcess-20250101-000002-bbbb', '4102'],
    ] as const) {
      const jobDir = join(jobsRoot(), folder);
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
    await mkdir(join(jobsRoot(), 'MyProcess-20250101-000003-cccc'));
  });

  const expectBothCompleted = (stdout: string) =>
    expect((JSON.parse(stdout) as StatusJson).jobs).toEqual([
      expect.objectContaining({ id: '4101', status: 'completed' }),
      expect.objectContaining({ id: '4102', status: 'completed' }),
    ]);

  it('a garbage index is rebuilt from the job folders: status answers, with a one-line notice, once', async () => {
    const first = await runHpc(['status', '--json'], { home: slurmHome, env: slurm() });
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toBe('');
    const [name] = (await readdir(indexFolder())).filter((entry) => entry.endsWith('.sqlite'));
    const index = join(indexFolder(), name as string);
    await writeFile(index, Buffer.alloc(4096, 0x5a)); // not a database any more

    const rebuilt = await runHpc(['status', '--json'], { home: slurmHome, env: slurm() });
    expect(rebuilt.exitCode).toBe(0);
    expectBothCompleted(rebuilt.stdout);
    const lines = rebuilt.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the SLURM job index ${index} was damaged (`);
    expect(lines[0]).toContain(`rebuilt from the job folders in ${jobsRoot()}`);
    expect((await readFile(index)).subarray(0, 15).toString()).toBe('SQLite format 3');

    const again = await runHpc(['status', '--json'], { home: slurmHome, env: slurm() });
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toBe('');
    expectBothCompleted(again.stdout);
  });

  it("an index folder that is not the user's own: the driver's error in one line, naming the folder and what to do (exit 1)", async () => {
    const unsafeTmp = join(slurmHome, 'unsafe-tmp');
    await mkdir(join(unsafeTmp, 'someone-elses'), { recursive: true });
    await symlink(join(unsafeTmp, 'someone-elses'), indexFolder(unsafeTmp));
    const result = await runHpc(['status'], { home: slurmHome, env: slurm(unsafeTmp) });
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hpc status: the job index /);
    expect(lines[0]).toContain(`${indexFolder(unsafeTmp)} is a symbolic link, not a private folder of yours`);
    expect(lines[0]).toContain('remove that folder, or set TMPDIR');

    const doctor = await runHpc(['doctor', '--json'], { home: slurmHome, env: { TMPDIR: unsafeTmp } });
    expect(doctor.exitCode).toBe(1);
    expect(storeCheck(doctor.stdout)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(`${indexFolder(unsafeTmp)} is a symbolic link`),
      fix: expect.stringContaining('remove that folder, or set TMPDIR'),
    });
  });

  it('a damaged job.json: the file is named, the other jobs are listed, exit 1', async () => {
    await mkdir(dirname(damagedRecord()));
    await writeFile(damagedRecord(), '{"version": 2, "token": "dd');
    const table = await runHpc(['status'], { home: slurmHome, env: slurm() });
    expect(table.exitCode).toBe(1);
    for (const id of ['4101', '4102'])
      expect(table.stdout).toMatch(new RegExp(`^${id}\\s+MyProcess\\s+completed`, 'm'));
    expect(table.stderr).toContain(`hpc status: a job record is unreadable: ${damagedRecord()}: not JSON`);

    const json = await runHpc(['status', '--json'], { home: slurmHome, env: slurm() });
    expect(json.exitCode).toBe(1);
    expectBothCompleted(json.stdout);
    const parsed = JSON.parse(json.stdout) as { unreadableRecords?: { file: string; message: string }[] };
    expect(parsed.unreadableRecords).toEqual([
      { file: damagedRecord(), message: expect.stringMatching(/^not JSON .*truncated/) },
    ]);
  });

  it('doctor: the job store check counts the jobs in the real index and names the unreadable record', async () => {
    const result = await runHpc(['doctor', '--json'], { home: slurmHome, env: { TMPDIR: tmp } });
    const check = storeCheck(result.stdout);
    expect(check?.status).toBe('warn');
    expect(check?.detail).toMatch(
      new RegExp(`^${indexFolder()}/slurm-index-.+\\.sqlite indexes 2 SLURM jobs from ${jobsRoot()}`),
    );
    expect(check?.detail).toContain(`${damagedRecord()} (not JSON`);
    expect(check?.fix).toBe('repair or remove those job.json files');
  });
});
