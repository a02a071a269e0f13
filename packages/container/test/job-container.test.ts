import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobContainer, jobPaths, readOutcome, readResult } from '@hpc/container';
import type { RunOutcome } from '@hpc/core';
import { Serializer } from '@hpc/serializer';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ExitingProcess,
  ForeverProcess,
  Measurement,
  SumProcess,
  ThrowingProcess,
  UnserializableResultProcess,
} from '../../../test/fixtures/processes.ts';

let jobDir: string;
beforeEach(async () => {
  jobDir = await mkdtemp(join(tmpdir(), 'hpc-container-'));
});

async function execute(value: unknown, options: ConstructorParameters<typeof JobContainer>[1] = {}) {
  const crate = join(jobDir, 'process.bin');
  await Serializer.serializeToFile(value, crate);
  const container = new JobContainer(crate, { passThroughOutput: false, ...options });
  return { container, outcome: await container.execute() };
}

function expectInfrastructure(outcome: RunOutcome, reason: string) {
  expect(outcome).toMatchObject({ status: 'failed', kind: 'infrastructure', reason });
}

describe('JobContainer.execute', () => {
  it('runs the process in its own work folder, captures its output, and writes result then outcome', async () => {
    const cwdBefore = process.cwd();
    const { outcome } = await execute(new SumProcess(new Measurement('m', new Float64Array([1, 2, 3]))));
    expect(outcome.status).toBe('ok');
    expect(process.cwd()).toBe(cwdBefore);
    const paths = jobPaths(jobDir);
    expect(await readResult(jobDir)).toEqual({ label: 'm', mean: 2, cwd: paths.workDir });
    expect(await readOutcome(jobDir)).toEqual(outcome);
    expect(await readFile(join(paths.workDir, 'scratch.txt'), 'utf8')).toBe('written by run()');
    expect(await readFile(paths.stdout, 'utf8')).toMatch(/summing 3 values[\s\S]*INFO work dir/);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records a thrown error with its name, message, stack and cause chain', async () => {
    const { outcome } = await execute(new ThrowingProcess('bad input'));
    expect(outcome).toMatchObject({ status: 'failed', kind: 'process' });
    if (outcome.status !== 'failed') throw new Error('unreachable');
    expect(outcome.error).toMatchObject({
      name: 'RangeError',
      message: 'bad input',
      cause: { name: 'Error', message: 'the root cause' },
    });
    expect(outcome.error.stack).toMatch(/ThrowingProcess\.run/);
    expect(await readFile(jobPaths(jobDir).stderr, 'utf8')).toMatch(/about to fail/);
    expect(existsSync(jobPaths(jobDir).result)).toBe(false);
  });

  it('turns process.exit() inside run() into a recorded failure instead of dying', async () => {
    const { outcome } = await execute(new ExitingProcess(7));
    expectInfrastructure(outcome, 'exit-called');
    if (outcome.status === 'failed') expect(outcome.error.message).toMatch(/process\.exit\(7\)/);
  });

  it('records a missing crate, a corrupt crate, and a crate that is not a Process', async () => {
    const missing = await new JobContainer(join(jobDir, 'absent.bin'), {
      passThroughOutput: false,
    }).execute();
    expectInfrastructure(missing, 'crate-missing');
    await writeFile(join(jobDir, 'process.bin'), 'garbage garbage garbage garbage garbage garbage');
    expectInfrastructure(
      await new JobContainer(join(jobDir, 'process.bin'), { passThroughOutput: false }).execute(),
      'crate-corrupt',
    );
    expectInfrastructure((await execute({ just: 'data' })).outcome, 'not-a-process');
  });

  it('records an unknown type id as such, naming it', async () => {
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new SumProcess(), crate);
    const bytes = await readFile(crate);
    // Same length, different id: the file names a class this process never registered.
    const patched = Buffer.from(
      bytes.toString('latin1').replaceAll('fixtures/SumProcess', 'fixtures/SumProcexx'),
      'latin1',
    );
    const { crc32 } = await import('node:zlib');
    const manifestLength = patched.readUInt32LE(12);
    const metaLength = Number(patched.readBigUInt64LE(16));
    const preamble = patched.subarray(40, 40 + manifestLength + metaLength);
    patched.writeUInt32LE(
      // .bin format 2: the header CRC covers header bytes 0-31, the manifest, then the structure.
      crc32(
        preamble.subarray(manifestLength),
        crc32(preamble.subarray(0, manifestLength), crc32(patched.subarray(0, 32))),
      ),
      32,
    );
    await writeFile(crate, patched);
    const outcome = await new JobContainer(crate, { passThroughOutput: false }).execute();
    expectInfrastructure(outcome, 'unknown-type');
    if (outcome.status === 'failed') expect(outcome.error.message).toMatch(/fixtures\/SumProcexx/);
  });

  it('records a result that cannot be serialized', async () => {
    const { outcome } = await execute(new UnserializableResultProcess());
    expectInfrastructure(outcome, 'result-unserializable');
    if (outcome.status === 'failed') expect(outcome.error.message).toMatch(/\$\.callback/);
  });

  it('on interrupt calls checkpoint(), aborts ctx.signal, and records the job as signalled', async () => {
    const checkpointFile = join(jobDir, 'ckpt.txt');
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new ForeverProcess(true, checkpointFile), crate);
    const container = new JobContainer(crate, { passThroughOutput: false });
    const running = container.execute();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await container.interrupt('time-limit');
    const outcome = await running;
    expectInfrastructure(outcome, 'signalled');
    expect(outcome).toMatchObject({ interruption: 'time-limit', error: { message: 'stopped: time-limit' } });
    expect(await readFile(checkpointFile, 'utf8')).toBe('checkpointed');
  });

  it('stops waiting for a run() that ignores the abort once the grace period is over', async () => {
    const crate = join(jobDir, 'process.bin');
    await Serializer.serializeToFile(new ForeverProcess(false), crate);
    const controller = new AbortController();
    const container = new JobContainer(crate, { passThroughOutput: false, interruptGraceMs: 200 });
    const running = container.execute({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const outcome = await running;
    expectInfrastructure(outcome, 'signalled');
    if (outcome.status === 'failed') expect(outcome.error.name).toBe('InterruptedError');
  });
});

describe('JobContainer with an HDF5 crate', () => {
  it('runs the named object of a file holding several, and explains a missing or ambiguous path', async () => {
    const { ObjectSerializer } = await import('@hpc/serializer');
    const file = join(jobDir, 'crates.h5');
    const crates = new ObjectSerializer(file);
    await crates.serialize(
      new SumProcess(
        new Measurement(
          'first',
          Float64Array.from({ length: 100_000 }, (_, i) => i),
        ),
      ),
      '/first',
    );
    await crates.serialize(new SumProcess(new Measurement('second', new Float64Array([10, 20]))), '/second');

    const outcome = await new JobContainer(file, { object: '/second', passThroughOutput: false }).execute();
    expect(outcome.status).toBe('ok');
    expect(await readResult(jobDir)).toMatchObject({ label: 'second', mean: 15 });

    const ambiguous = await new JobContainer(file, { passThroughOutput: false }).execute();
    expectInfrastructure(ambiguous, 'object-missing');
    if (ambiguous.status === 'failed')
      expect(ambiguous.error.message).toMatch(/holds 2 objects.*\/first, \/second/);

    const wrong = await new JobContainer(file, { object: '/third', passThroughOutput: false }).execute();
    expectInfrastructure(wrong, 'object-missing');
  });
});
