// Node 22 (the oldest supported release) runs the whole loop: serialize a Process from a .ts user
// module, run it through the LocalDriver and the node-runner, read the result and a remote error.
// Then an ObjectSerializer round trip big enough for the worker threads, the SIMD Blosc plugin
// and the shared-memory read ring.
// Run by scripts/test.sh with .tools/node22's node: node --experimental-transform-types test/node22-smoke.mjs
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDriver } from '@hpc/local-driver';
import { ObjectSerializer } from '@hpc/serializer';
import { Measurement, SumProcess, ThrowingProcess } from './fixtures/processes.ts';

const driver = new LocalDriver({ root: mkdtempSync(join(tmpdir(), 'hpc-node22-')) });
const ok = await driver.submitJob(new SumProcess(new Measurement('n22', new Float64Array([1, 2, 3]))));
const bad = await driver.submitJob(new ThrowingProcess('from node 22'));
const [okState, badState] = await Promise.all([driver.waitForJob(ok), driver.waitForJob(bad)]);
const result = await driver.getResult(ok);
const failure = await driver.getResult(bad).then(
  () => undefined,
  (error) => error,
);
const values = Float64Array.from({ length: 3_000_000 }, (_, i) => Math.sin(i * 1e-4)); // 24 MiB
const store = new ObjectSerializer(join(mkdtempSync(join(tmpdir(), 'hpc-node22-h5-')), 'store.h5'));
await store.serialize({ values }, '/values');
const back = await store.load('/values');
const hdf5RoundTrip = Buffer.from(back.values.buffer).equals(Buffer.from(values.buffer));
const passed =
  hdf5RoundTrip &&
  okState.status === 'completed' &&
  result.mean === 2 &&
  badState.status === 'failed' &&
  failure?.remote?.message === 'from node 22';
console.log(`node ${process.version}: ${passed ? 'whole loop ok' : 'FAILED'}`, {
  hdf5RoundTrip,
  okState: okState.status,
  badState: badState.status,
  result,
});
process.exit(passed ? 0 : 1);
