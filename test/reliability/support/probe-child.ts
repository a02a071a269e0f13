/**
 * A child process that runs one operation on a hostile file and reports what came of it: a typed
 * or untyped error, or the value it loaded (summarised, so a test can look for bytes that should
 * never have been read), with the memory it took. The parent bounds the time (probe.ts).
 */
import { JobContainer } from '@hpc/container';
import type { RunOutcome } from '@hpc/core';
import { ObjectSerializer, Serializer } from '@hpc/serializer';
import { classifyError, type OpOutcome } from './outcome.ts';
import './shapes.ts';
import { descriptorsOn } from './descriptors.ts';

export type ProbeRequest =
  | { op: 'bin-load'; file: string }
  | {
      op: 'h5';
      method: 'load' | 'list' | 'info' | 'readArray';
      file: string;
      objectPath?: string;
      property?: string;
    }
  | { op: 'container'; file: string; jobDir: string; objectPath?: string };

export type ProbeOutcome = OpOutcome | { kind: 'loaded'; summary: string };

export interface ProbeReport {
  outcome: ProbeOutcome;
  /** The outcome a JobContainer recorded (op 'container'). */
  recorded?: RunOutcome;
  peakRiseBytes: number;
  descriptorsOnFile: number;
}

/** A short text form of any loaded value: typed arrays as their first bytes in text, bigints as digits. */
function summarise(value: unknown): string {
  const seen = new Set<object>();
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return `${item}n`;
    if (ArrayBuffer.isView(item))
      return Buffer.from(item.buffer, item.byteOffset, Math.min(item.byteLength, 4096)).toString('latin1');
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[seen]';
      seen.add(item);
      if (item instanceof Map) return [...item];
      if (item instanceof Set) return [...item];
    }
    return item;
  });
  return (text ?? String(value)).slice(0, 20_000);
}

async function run(request: ProbeRequest): Promise<{ value: unknown; recorded?: RunOutcome }> {
  if (request.op === 'bin-load') return { value: await Serializer.deserializeFromFile(request.file) };
  if (request.op === 'container') {
    const container = new JobContainer(request.file, {
      jobDir: request.jobDir,
      passThroughOutput: false,
      ...(request.objectPath ? { object: request.objectPath } : {}),
    });
    const recorded = await container.execute();
    return { value: recorded, recorded };
  }
  const crate = new ObjectSerializer(request.file);
  const path = request.objectPath ?? '/';
  if (request.method === 'list') return { value: await crate.list() };
  if (request.method === 'info') return { value: await crate.info(path) };
  if (request.method === 'readArray') return { value: await crate.readArray(path, request.property ?? '') };
  return { value: await crate.load(path) };
}

process.on('message', async (request: ProbeRequest) => {
  const rssBefore = process.memoryUsage.rss();
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  let outcome: ProbeOutcome;
  let recorded: RunOutcome | undefined;
  try {
    const result = await run(request);
    recorded = result.recorded;
    outcome = { kind: 'loaded', summary: summarise(result.value) };
  } catch (error) {
    outcome = classifyError(error, request.file);
  }
  const peakAfter = process.resourceUsage().maxRSS * 1024;
  const report: ProbeReport = {
    outcome,
    ...(recorded ? { recorded } : {}),
    peakRiseBytes: peakAfter > peakBefore ? peakAfter - rssBefore : 0,
    descriptorsOnFile: descriptorsOn(request.file),
  };
  process.send?.(report);
});
process.send?.({ ready: true });
