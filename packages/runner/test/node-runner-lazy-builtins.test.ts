import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { digestOfFile, readOutcome, readResult } from '@hpc/container';
import { SMALL_DIGEST_BYTES } from '@hpc/core';
import { Process, registerProcess } from '@hpc/process';
import { runnerCommand } from '@hpc/runner';
import { Serializer } from '@hpc/serializer';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The trivial task's path (a `.bin` crate, a plain `.mjs` module, --crate-digest as jobs pass it)
 * loads none of the built-ins that cost its start milliseconds and that it does not need; a crate
 * too large to hash in JavaScript still gets node:crypto. (The `.ts` and `.h5` paths: node-runner.test.ts.)
 */
const NOT_ON_THE_TRIVIAL_PATH = [
  'NativeModule crypto',
  'NativeModule child_process',
  'NativeModule perf_hooks',
  'NativeModule worker_threads',
  'NativeModule internal/process/report',
];
const ID = 'runner-lazy/Trivial';
const USER_MODULE = `import { Process, registerProcess } from '@hpc/process';
export class Trivial extends Process {
  constructor(n = 1, text = '') { super(); this.n = n; this.text = text; }
  run() { return { n: this.n + 1, length: this.text.length }; }
}
registerProcess(Trivial, { id: '${ID}', module: import.meta.url });
`;

let root: string;
let userModule: string;
/** The same class as USER_MODULE's, registered here under its id to write the crates. */
class Trivial extends Process {
  constructor(
    readonly n: number,
    readonly text: string,
  ) {
    super();
  }
  override run() {
    return { n: this.n + 1, length: this.text.length };
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hpc-runner-lazy-'));
  userModule = join(root, 'trivial.mjs');
  await writeFile(userModule, USER_MODULE);
  registerProcess(Trivial, { id: ID, module: pathToFileURL(userModule).href });
  // Node's list of the built-ins it loaded, written as the runner exits.
  await writeFile(
    join(root, 'record-modules.cjs'),
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.MODULES_FILE, process.moduleLoadList.join('\\n')));\n",
  );
});

async function runTrivial(name: string, text: string, edit?: (crate: string) => Promise<void>) {
  const jobDir = join(root, name);
  const crate = join(root, `${name}.bin`);
  await Serializer.serializeToFile(new Trivial(41, text), crate);
  const crateDigest = await digestOfFile(crate);
  await edit?.(crate);
  const { file, args } = runnerCommand({
    imports: [userModule],
    crate,
    object: undefined,
    jobDir,
    crateDigest,
  });
  const modulesFile = join(root, `${name}.modules`);
  const run = await execa(file, ['--require', join(root, 'record-modules.cjs'), ...args], {
    cwd: root,
    reject: false,
    env: { MODULES_FILE: modulesFile, NODE_PATH: '' },
  });
  const loaded = (await readFile(modulesFile, 'utf8')).split('\n');
  return { run, jobDir, loaded, crate };
}

describe('node-runner on a trivial .bin crate with a plain .mjs module', () => {
  it('runs it, checking the crate digest, without loading crypto, child_process, perf_hooks, worker_threads', async () => {
    const { run, jobDir, loaded } = await runTrivial('small', 'x');
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(await readResult(jobDir)).toEqual({ n: 42, length: 1 });
    expect(loaded).toContain('NativeModule v8');
    expect(loaded.filter((name) => NOT_ON_THE_TRIVIAL_PATH.includes(name))).toEqual([]);
  });

  it('still refuses a small crate edited after submission (crate-changed, exit 2)', async () => {
    const { run, jobDir } = await runTrivial('small-edited', 'x', (crate) =>
      writeFile(crate, 'edited', { flag: 'a' }),
    );
    expect(run.exitCode).toBe(2);
    expect(await readOutcome(jobDir)).toMatchObject({
      status: 'failed',
      reason: 'crate-changed',
      error: { name: 'CrateChangedError' },
    });
  });

  it('hashes a crate past the JavaScript limit with node:crypto, and still refuses it edited', async () => {
    const text = 'y'.repeat(SMALL_DIGEST_BYTES * 2);
    const large = await runTrivial('large', text);
    expect(large.run.exitCode).toBe(0);
    expect(await readResult(large.jobDir)).toEqual({ n: 42, length: text.length });
    expect(large.loaded).toContain('NativeModule crypto');
    const edited = await runTrivial('large-edited', text, (crate) => writeFile(crate, 'z', { flag: 'a' }));
    expect(edited.run.exitCode).toBe(2);
    expect(await readOutcome(edited.jobDir)).toMatchObject({ status: 'failed', reason: 'crate-changed' });
  });
});
