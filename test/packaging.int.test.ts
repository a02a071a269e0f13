/**
 * Each package must be installable on its own: pack @hpc/serializer and its workspace
 * dependencies, install the tarballs with plain npm (no h5wasm override, no peer flags) into a
 * fresh folder outside the repo, and use both formats there, Blosc plugins included.
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const REPO = new URL('..', import.meta.url).pathname;
const PACKAGES = ['core', 'process', 'serializer'];

describe('packed @hpc/serializer', () => {
  it('installs from tarballs into a fresh folder and round-trips a registered class there', async () => {
    const tarballs = await mkdtemp(join(tmpdir(), 'hpc-tarballs-'));
    for (const name of PACKAGES) {
      await execa('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(REPO, 'packages', name) });
    }
    const files = await readdir(tarballs);
    const tarball = (name: string) =>
      `file:${join(tarballs, files.find((file) => file.startsWith(`hpc-${name}-`)) as string)}`;
    const app = await mkdtemp(join(tmpdir(), 'hpc-consumer-'));
    const dependencies = Object.fromEntries(PACKAGES.map((name) => [`@hpc/${name}`, tarball(name)]));
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'consumer',
          private: true,
          type: 'module',
          dependencies,
          overrides: dependencies,
        },
        null,
        2,
      ),
    );
    await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
    await writeFile(
      join(app, 'main.mjs'),
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
    const run = await execa(process.execPath, ['main.mjs'], { cwd: app });
    expect(run.stdout).toBe('true 3 true 99999 blosc lz4 level=5 shuffle');
  });
});
