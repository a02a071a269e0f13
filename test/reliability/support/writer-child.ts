/**
 * A writer that rewrites one file in a loop until it is killed: versions first, first+1, ...
 * It says "ready" once everything is loaded (so the parent's kill delay covers writing only),
 * then "start N" before and "done N" after each write. The lines go out with writeSync on
 * stdout, a pipe: they are in the pipe before the write they announce begins, even if SIGKILL
 * comes a microsecond later.
 *
 *   node writer-child.ts <bin|h5|outcome> <folder> <first version> <scratch folder>
 */
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectSerializer } from '@hpc/serializer';
import { h5Version, WRITER_KINDS, type WriterKind, writeVersion } from './writers.ts';

const [kind, dir, first, scratch] = process.argv.slice(2) as [WriterKind, string, string, string];
if (!WRITER_KINDS.includes(kind)) throw new Error(`unknown writer kind ${kind}`);

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

if (kind === 'h5') {
  // Load the wasm HDF5 runtimes before "ready", with a write outside the folder under test.
  const warmup = join(scratch, `warmup-${process.pid}.h5`);
  await new ObjectSerializer(warmup, { durable: false }).serialize(h5Version(1), '/warmup');
}
say('ready');
for (let version = Number(first); ; version++) {
  say(`start ${version}`);
  await writeVersion(kind, dir, version);
  say(`done ${version}`);
}
