import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectSerializer } from '@hpc/serializer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { craftH5, type H5Craft } from './support/h5-crafting.ts';
import { probe } from './support/probe.ts';
import type { ProbeRequest } from './support/probe-child.ts';
import { type Expectation, refusalProblems } from './support/refusal.ts';
import { scratchDir } from './support/scratch-dir.ts';

/**
 * Hostile HDF5 crates made with Debian's h5py (support/h5-crafting.ts). Each operation runs in a
 * fresh child process, bounded in time (probe.ts) and memory, and must end in its typed error,
 * whose message names the file and shows no byte of any other file.
 */
const MARKER = 'HPC-OUTSIDE-MARKER-7f3a';
const OBJECT = '/runs/target';
const OTHER = '/other';
const VALUE = { label: 'hostile', values: Float64Array.from({ length: 8192 }, (_, i) => i / 7) };
const SECRET_VALUE = { secret: MARKER, values: Float64Array.from({ length: 8192 }, (_, i) => -i) };

let dir: string;
let crates: string;
let base: string;
let victim: string;
let outsideBytes: string;
let outsideJson: string;

beforeAll(async () => {
  dir = await scratchDir('hostile-h5', false);
  crates = join(dir, 'crates');
  await mkdir(crates);
  // Files outside the crate that a hostile crate points at: raw bytes and JSON, both marked.
  outsideBytes = join(dir, 'outside.bin');
  await writeFile(
    outsideBytes,
    Buffer.from(MARKER.repeat(Math.ceil((8192 * 8) / MARKER.length))).subarray(0, 8192 * 8),
  );
  outsideJson = join(dir, 'outside.json');
  await writeFile(outsideJson, JSON.stringify({ label: MARKER, values: [MARKER] }));
  base = join(dir, 'base.h5');
  const crate = new ObjectSerializer(base, { durable: false });
  await crate.serialize(VALUE, OBJECT);
  await crate.serialize(SECRET_VALUE, OTHER);
  // Another user's crate.
  victim = join(dir, 'victim.h5');
  await new ObjectSerializer(victim, { durable: false }).serialize(SECRET_VALUE, '/victim');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A copy of the base crate, changed by h5py. */
async function hostileCrate(name: string, kind: H5Craft, args: string[] = []): Promise<string> {
  const file = join(crates, `${name}.h5`);
  await copyFile(base, file);
  await craftH5(kind, file, OBJECT, args, crates);
  return file;
}

/** Runs the operations at once, each in its own child: how each missed being refused as expected. */
async function refusals(file: string, requests: ProbeRequest[], expected: Expectation): Promise<string[]> {
  const problems = await Promise.all(
    requests.map(async (request) => {
      const report = await probe(request, { cwd: crates });
      const found = refusalProblems(report, file, { secret: MARKER, ...expected });
      return found.map((problem) => `${request.op === 'h5' ? request.method : request.op}: ${problem}`);
    }),
  );
  return problems.flat();
}

async function expectRefused(file: string, requests: ProbeRequest[], expected: Expectation): Promise<void> {
  expect(await refusals(file, requests, expected)).toEqual([]);
}

const load = (file: string): ProbeRequest => ({ op: 'h5', method: 'load', file, objectPath: OBJECT });

const external = { tags: ['ExternalReferenceError'] };
/**
 * An external file larger than the crate is refused by the size bound before the file-system
 * guard is even reached (a dataset cannot hold more than its file); both refusals read nothing.
 */
const externalOrOversized = { tags: ['ExternalReferenceError', 'CorruptFileError'] };
const corrupt = { tags: ['CorruptFileError'] };

/**
 * The victim crate, copied for one case: the cases run at once, and h5py opening one file from two
 * processes (a virtual dataset's source, an external link's target opened read-write) trips HDF5's
 * file locks ("unable to open external file": a failed CI run, 2026-12-02).
 */
async function victimCopy(name: string): Promise<string> {
  const copy = join(dir, `victim-${name}.h5`);
  await copyFile(victim, copy);
  return copy;
}

describe.concurrent('hostile HDF5 crates: reading only this file', () => {
  it('a dataset with external raw storage in a file outside the crate', async () => {
    const file = await hostileCrate('external-array', 'external-array', [outsideBytes]);
    const readArray: ProbeRequest = {
      op: 'h5',
      method: 'readArray',
      file,
      objectPath: OBJECT,
      property: 'values',
    };
    await expectRefused(file, [load(file), readArray], externalOrOversized);
  });

  it("external raw storage through a relative '../' path", async () => {
    const file = await hostileCrate('external-relative', 'external-array', ['../outside.bin']);
    await expectRefused(file, [load(file)], externalOrOversized);
  });

  it('the structure stored as external raw storage in an outside JSON file', async () => {
    const size = String(JSON.stringify({ label: MARKER, values: [MARKER] }).length);
    const file = await hostileCrate('external-structure', 'external-structure', [outsideJson, size]);
    await expectRefused(file, [load(file)], external);
  });

  it("a virtual dataset reading another user's crate", async () => {
    const file = await hostileCrate('virtual', 'virtual-array', [
      await victimCopy('virtual'),
      '/victim/arrays/0',
    ]);
    await expectRefused(file, [load(file)], external);
  });

  it('an external link where the structure should be', async () => {
    const file = await hostileCrate('external-link', 'external-link-structure', [
      await victimCopy('external-link'),
      '/victim/structure',
    ]);
    await expectRefused(file, [load(file)], external);
    // info reads no structure: it may answer, but nothing from the other file may be in the answer.
    await expectRefused(file, [{ op: 'h5', method: 'info', file, objectPath: OBJECT }], {
      ...external,
      orResult: true,
    });
  });

  it('a soft link from the structure to another object', async () => {
    const file = await hostileCrate('soft-structure', 'soft-link-structure', [`${OTHER}/structure`]);
    await expectRefused(file, [load(file)], external);
  });

  it("a soft link from an array to another object's array", async () => {
    const file = await hostileCrate('soft-array', 'soft-link-array', [`${OTHER}/arrays/0`]);
    await expectRefused(file, [load(file)], external);
  });
});

describe.concurrent('hostile HDF5 crates: cycles end quickly', () => {
  it('a group hard-linked into itself: list, info and load of a missing path, and a JobContainer, all end quickly', async () => {
    const file = await hostileCrate('cycle', 'cycle-at-root');
    // The node-runner's path: a JobContainer, given a mistyped object path or none (then it lists).
    const containers = [undefined, '/missing'].map((objectPath, index) =>
      probe({
        op: 'container',
        file,
        jobDir: join(dir, `cycle-job-${index}`),
        ...(objectPath ? { objectPath } : {}),
      }),
    );
    const missing = { tags: ['CorruptFileError', 'ObjectNotFoundError'] };
    const problems = await Promise.all([
      // Listing may skip the cycle and name the real objects, or refuse the file: anything but spin.
      refusals(file, [{ op: 'h5', method: 'list', file }], { ...corrupt, orResult: true }),
      refusals(
        file,
        [
          { op: 'h5', method: 'info', file, objectPath: '/missing' },
          { op: 'h5', method: 'load', file, objectPath: '/missing' },
        ],
        missing,
      ),
    ]);
    for (const report of await Promise.all(containers)) {
      const recorded = report.recorded;
      const typedReason =
        recorded?.status === 'failed' &&
        recorded.kind === 'infrastructure' &&
        ['crate-corrupt', 'object-missing'].includes(recorded.reason);
      if (!typedReason)
        problems.push([
          `JobContainer: expected a recorded crate-corrupt or object-missing outcome, got ${JSON.stringify(report).slice(0, 400)}`,
        ]);
    }
    expect(problems.flat()).toEqual([]);
  });

  it('a group inside the object hard-linked to the object: load ends with a typed error or the exact value', async () => {
    const file = await hostileCrate('cycle-inside', 'cycle-in-object');
    const report = await probe(load(file), { cwd: crates });
    if (report.outcome.kind !== 'loaded') expect(refusalProblems(report, file, corrupt)).toEqual([]);
  });
});

describe.concurrent('hostile HDF5 crates: sizes and kinds that lie', () => {
  it('a 2 GiB declared array in a tiny file: refused before allocating', async () => {
    const file = await hostileCrate('huge', 'huge-array', [String(2 ** 28)]);
    await expectRefused(file, [load(file)], corrupt);
  });

  it('a 16 GiB declared array: refused, not killed for memory', async () => {
    const file = await hostileCrate('huge-16g', 'huge-array', [String(2 ** 31)]);
    await expectRefused(file, [load(file)], corrupt);
  });

  it('{"$":"obj","c":"<a Process id>","a":[...]}: a Process id on an Array body is refused', async () => {
    const file = await hostileCrate('process-on-array', 'process-on-array');
    await expectRefused(file, [load(file)], corrupt);
  });

  it('a structure nested 200,000 arrays deep', async () => {
    const file = await hostileCrate('deep', 'deep-structure', ['200000']);
    await expectRefused(file, [load(file)], corrupt);
  });

  it('a 600 MiB structure (gzip-compressed spaces, a small file)', async () => {
    const file = await hostileCrate('big-structure', 'big-structure', ['600']);
    await expectRefused(file, [load(file)], corrupt);
  });
});
