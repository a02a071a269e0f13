import { chmod, copyFile, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readResult } from '@hpc/container';
import { nodeRunnerPath, runnerCommand } from '@hpc/runner';
import { Serializer } from '@hpc/serializer';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { Measurement, SumProcess } from '../../../test/fixtures/processes.ts';
import { compileCacheDir, isPrivateFolder } from '../src/compile-cache.ts';
import { COMPILE_CACHE_PRELOAD } from '../src/runner-command.ts';

const FIXTURES = new URL('../../../test/fixtures/processes.ts', import.meta.url).href;

async function job() {
  const jobDir = await mkdtemp(join(tmpdir(), 'hpc-cc-job-'));
  const crate = join(jobDir, 'process.bin');
  await Serializer.serializeToFile(new SumProcess(new Measurement('cc', new Float64Array([1, 3]))), crate);
  return { jobDir, crate };
}

describe('compile cache preload', () => {
  it('runnerCommand preloads it when it sits beside the runner, not for a lone copy of the bundle', async () => {
    const { args } = runnerCommand({ imports: [], crate: 'c.bin', object: undefined, jobDir: undefined });
    expect(args.slice(0, 3)).toEqual([
      '--import',
      expect.stringMatching(new RegExp(`^file:.*/${COMPILE_CACHE_PRELOAD}$`)),
      nodeRunnerPath,
    ]);
    const lone = join(await mkdtemp(join(tmpdir(), 'hpc-cc-lone-')), 'node-runner.mjs');
    await copyFile(nodeRunnerPath, lone);
    const loneCommand = runnerCommand({
      imports: [],
      crate: 'c.bin',
      object: undefined,
      jobDir: undefined,
      runnerPath: lone,
    });
    expect(loneCommand.args[0]).toBe(lone);
  });

  it("fills $HPC_HOME/cache/node-compile (0700) and the job's result is the same", async () => {
    const home = await mkdtemp(join(tmpdir(), 'hpc-cc-home-'));
    for (let i = 0; i < 2; i++) {
      const { jobDir, crate } = await job();
      const { file, args } = runnerCommand({ imports: [FIXTURES], crate, object: undefined, jobDir });
      const run = await execa(file, args, { reject: false, env: { HPC_HOME: home } });
      expect(run.exitCode).toBe(0);
      expect(await readResult(jobDir)).toMatchObject({ label: 'cc', mean: 2 });
    }
    const dir = compileCacheDir({ HPC_HOME: home });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const [versioned] = await readdir(dir);
    expect((await readdir(join(dir, versioned as string))).length).toBeGreaterThan(0);
  });

  it('runs the job without a cache when the folder is unusable (a file in its way, or writable by others)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hpc-cc-bad-'));
    await writeFile(join(home, 'cache'), 'not a folder');
    expect(isPrivateFolder(compileCacheDir({ HPC_HOME: home }))).toBe(false);
    const { jobDir, crate } = await job();
    const { file, args } = runnerCommand({ imports: [FIXTURES], crate, object: undefined, jobDir });
    const run = await execa(file, args, { reject: false, env: { HPC_HOME: home } });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);

    const open = await mkdtemp(join(tmpdir(), 'hpc-cc-open-'));
    await mkdir(join(open, 'cache', 'node-compile'), { recursive: true });
    await chmod(join(open, 'cache', 'node-compile'), 0o777);
    expect(isPrivateFolder(compileCacheDir({ HPC_HOME: open }))).toBe(false);
    expect(isPrivateFolder(dirname(compileCacheDir({ HPC_HOME: open })))).toBe(true);
  });
});
