/**
 * Runs one operation on a hostile file in a fresh child process (probe-child.ts), within a time
 * bound: a probe that does not answer in time is killed and reported as a hang.
 */
import { fileURLToPath } from 'node:url';
import { ForkedChild } from './node-child.ts';
import type { ProbeReport, ProbeRequest } from './probe-child.ts';

const PROBE_CHILD = fileURLToPath(new URL('./probe-child.ts', import.meta.url));
/** Every hostile file must be refused well within this (a valid small crate loads in ~50 ms). */
export const PROBE_TIMEOUT_MS = 15_000;

export async function probe(request: ProbeRequest, options: { cwd?: string } = {}): Promise<ProbeReport> {
  const child = new ForkedChild(PROBE_CHILD, options);
  try {
    const ready = await child.ready;
    if (ready.kind !== 'reply') throw new Error(`the probe child did not start: ${JSON.stringify(ready)}`);
    const reply = await child.request<ProbeReport>(request, PROBE_TIMEOUT_MS);
    if (reply.kind === 'reply') return reply.value;
    const outcome =
      reply.kind === 'timeout'
        ? { kind: 'hang' as const, afterMs: reply.afterMs }
        : {
            kind: 'crash' as const,
            detail: `exited (code ${reply.code}, signal ${reply.signal}): ${reply.stderr.slice(-500)}`,
          };
    return { outcome, peakRiseBytes: 0, descriptorsOnFile: 0 };
  } finally {
    await child.close();
  }
}
