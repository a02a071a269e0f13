/**
 * Each package must be installable on its own: pack @hpc/serializer and its workspace
 * dependencies, install the tarballs with npm into a fresh folder outside the repo, and use them.
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
          overrides: { ...dependencies, h5wasm: '0.10.3' },
        },
        null,
        2,
      ),
    );
    await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
    await writeFile(
      join(app, 'main.mjs'),
      `import { Process, registerProcess } from '@hpc/process';
import { Serializer } from '@hpc/serializer';
class Task extends Process { constructor(v) { super(); this.v = v; } run() { return this.v.length; } }
registerProcess(Task, { id: 'consumer/Task', module: import.meta.url });
await Serializer.serializeToFile(new Task(new Float64Array([1, 2, 3])), 'task.bin');
const again = await Serializer.deserializeFromFile('task.bin');
console.log(again instanceof Task, await again.run());
`,
    );
    const run = await execa(process.execPath, ['main.mjs'], { cwd: app });
    expect(run.stdout).toBe('true 3');
  });
});
