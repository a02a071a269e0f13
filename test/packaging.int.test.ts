/**
 * A newcomer following only the root README installs and runs from tarballs: `pnpm pack:all`
 * packs every package, then a project made with `npm init -y` plus what the README's "Use the
 * packages in your own project" section says (`"type": "module"`, the install lines of the entry
 * points) gets @hpc/slurm-driver, @hpc/local-driver and @hpc/cli with plain npm (third-party
 * dependencies from the registry, no overrides), runs a job with the local driver from its own
 * script — once from a `.mjs` module, once from a `.ts` module with constructor parameter
 * properties under `node --experimental-transform-types` — then through `hpc submit --local`, and
 * `hpc --help`; and round-trips both file formats with the installed @hpc/serializer.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO = new URL('..', import.meta.url).pathname;
let tarballs: string;
let app: string;
let env: NodeJS.ProcessEnv;

/** The rows of the README's install table: the package in the first cell, the tarballs it names. */
async function readmeInstallTable(): Promise<Map<string, string[]>> {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const section = readme.split('### Use the packages in your own project')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const [, first, install] = line.split('|');
    const entry = first?.match(/`(@hpc\/[a-z-]+)`/)?.[1];
    if (entry && install)
      rows.set(
        entry,
        [...install.matchAll(/hpc-[a-z-]+-\d+\.\d+\.\d+\.tgz/g)].map((m) => m[0]),
      );
  }
  return rows;
}

/** The tarballs the README's install table names for the row of `entry` (e.g. '@hpc/cli'). */
async function readmeInstall(entry: string): Promise<string[]> {
  const row = (await readmeInstallTable()).get(entry);
  expect(row, `the README's install table has a row for ${entry}`).toBeDefined();
  return row as string[];
}

/** `entry` and every @hpc package it needs, from the packed package.json files. */
async function closure(entry: string): Promise<string[]> {
  const needed = new Set<string>();
  const visit = async (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    const manifest = JSON.parse(
      (await execa('tar', ['xzOf', join(tarballs, tarballOf(name)), 'package/package.json'])).stdout,
    ) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) if (dep.startsWith('@hpc/')) await visit(dep);
  };
  await visit(entry);
  return [...needed].map(tarballOf).sort();
}

const tarballOf = (name: string) => `${name.replace('@', '').replace('/', '-')}-0.1.0.tgz`;

describe('the packages installed from tarballs, as the README says', () => {
  beforeAll(async () => {
    tarballs = await mkdtemp(join(tmpdir(), 'hpc-tarballs-'));
    await execa('node', ['scripts/pack-all.mjs', '--out', tarballs], { cwd: REPO });
    app = await mkdtemp(join(tmpdir(), 'hpc-consumer-'));
    env = { ...process.env, HPC_HOME: join(app, '.hpc'), HPC_DRIVER: 'local' };
    await execa('npm', ['init', '-y'], { cwd: app });
    await execa('npm', ['pkg', 'set', 'type=module'], { cwd: app });
  }, 240_000);

  it('every tarball ships LICENSE, README.md and only exports it ships', async () => {
    const license = await readFile(join(REPO, 'LICENSE'), 'utf8');
    for (const name of ['@hpc/core', '@hpc/slurm-driver', '@hpc/cli']) {
      const file = join(tarballs, tarballOf(name));
      expect((await execa('tar', ['xzOf', file, 'package/LICENSE'])).stdout).toBe(license.trimEnd());
      const listed = (await execa('tar', ['tzf', file])).stdout.split('\n');
      expect(listed).toContain('package/README.md');
      expect(listed.some((path) => path.startsWith('package/src/'))).toBe(false);
      expect((await execa('tar', ['xzOf', file, 'package/package.json'])).stdout).not.toContain(
        '@hpc/source',
      );
    }
  });

  it('the README lists exactly what each entry point needs', async () => {
    const rows = await readmeInstallTable();
    expect([...rows.keys()]).toEqual(
      expect.arrayContaining(['@hpc/slurm-driver', '@hpc/local-driver', '@hpc/cli']),
    );
    for (const [entry, install] of rows) expect([...install].sort(), entry).toEqual(await closure(entry));
  });

  it('runs a job with the local driver from the project, and the hpc command', async () => {
    const install = new Set([
      ...(await readmeInstall('@hpc/slurm-driver')),
      ...(await readmeInstall('@hpc/local-driver')),
      ...(await readmeInstall('@hpc/cli')),
    ]);
    await execa(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...[...install].map((t) => join(tarballs, t)),
      ],
      {
        cwd: app,
      },
    );
    await writeFile(
      join(app, 'task.mjs'),
      `import { Process, registerProcess } from '@hpc/process';
export class Sum extends Process {
  constructor(values = []) { super(); this.values = values; }
  run(ctx) { console.log('summing', this.values.length, 'values'); return this.values.reduce((a, b) => a + b, 0); }
}
registerProcess(Sum, { module: import.meta.url });
`,
    );
    await writeFile(
      join(app, 'submit.mjs'),
      `import { LocalDriver } from '@hpc/local-driver';
import { isSlurmAvailable, SLURMDriver } from '@hpc/slurm-driver';
import { Sum } from './task.mjs';
const driver = new LocalDriver();
const id = await driver.submitJob(new Sum([1, 2, 3, 4]));
await driver.waitForJob(id, { timeoutMs: 60_000 });
console.log(id, await driver.getResult(id), (await driver.logs(id)).trim(), typeof SLURMDriver, typeof isSlurmAvailable());
`,
    );
    const submitted = await execa('node', ['submit.mjs'], { cwd: app, env });
    expect(submitted.stdout).toBe('local-1 10 summing 4 values function boolean');

    // The README's class shape: constructor parameter properties, in a .ts module of the project.
    await writeFile(
      join(app, 'fit.ts'),
      `import { Process, registerProcess } from '@hpc/process';
import { LocalDriver } from '@hpc/local-driver';
export class Fit extends Process {
  constructor(public data = 'Sample Data', public values = new Float64Array(0)) { super(); }
  async run() { return { data: this.data, n: this.values.length }; }
}
registerProcess(Fit, { module: import.meta.url });
if (import.meta.main) {
  const driver = new LocalDriver();
  const id = await driver.submitJob(new Fit('x', new Float64Array([1, 2])));
  await driver.waitForJob(id, { timeoutMs: 60_000 });
  console.log(JSON.stringify(await driver.getResult(id)));
}
`,
    );
    const stripped = await execa('node', ['fit.ts'], { cwd: app, env, reject: false });
    expect(stripped.exitCode).not.toBe(0);
    expect(stripped.stderr).toContain('ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX');
    const transformed = await execa('node', ['--experimental-transform-types', '--no-warnings', 'fit.ts'], {
      cwd: app,
      env,
    });
    expect(transformed.stdout).toBe('{"data":"x","n":2}');

    // Both formats from the installed @hpc/serializer, its wasm Blosc plugins included.
    await writeFile(
      join(app, 'formats.mjs'),
      `import { Process, registerProcess } from '@hpc/process';
import { ObjectSerializer, Serializer } from '@hpc/serializer';
class Task extends Process { constructor(v) { super(); this.v = v; } run() { return this.v.length; } }
registerProcess(Task, { id: 'consumer/Task', module: import.meta.url });
await Serializer.serializeToFile(new Task(new Float64Array([1, 2, 3])), 'task.bin');
const again = await Serializer.deserializeFromFile('task.bin');
const crates = new ObjectSerializer('crates.h5');
await crates.serialize(new Task(Float64Array.from({ length: 100000 }, (_, i) => i)), '/task');
const fromH5 = await crates.load('/task');
console.log(again instanceof Task, await again.run(), fromH5 instanceof Task, fromH5.v[99999], (await crates.info('/task')).arrays[0].codec);
`,
    );
    const formats = await execa('node', ['formats.mjs'], { cwd: app, env });
    expect(formats.stdout).toBe('true 3 true 99999 blosc lz4 level=5 shuffle');

    const hpc = join(app, 'node_modules', '.bin', 'hpc');
    const viaCli = await execa(hpc, ['submit', 'task.mjs', '--local', '--wait', '--args', '[[5, 6]]'], {
      cwd: app,
      env,
    });
    expect(viaCli.stdout).toBe('11'); // the id goes to stderr with --wait
    const cliTs = await execa(hpc, ['submit', 'fit.ts', '--local', '--wait', '--args', '["y"]'], {
      cwd: app,
      env,
    });
    expect(cliTs.stdout).toContain("data: 'y'");

    const help = await execa(hpc, ['--help'], { cwd: app, env });
    expect(help.stdout).toContain('hpc submit');
  });
});
