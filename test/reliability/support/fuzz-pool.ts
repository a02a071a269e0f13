/**
 * Runs fuzz cases in a few child processes (fuzz-child.ts), each case under a time bound: a
 * child that does not answer in time is killed and counted as a hang, one that dies is counted
 * as a crash, and a fresh child takes over, so one bad file never stops the suite.
 */
import { fileURLToPath } from 'node:url';
import type { FuzzCase, ShapeBase } from './fuzz-cases.ts';
import type { CaseReport, ChildRequest, Format } from './fuzz-child.ts';
import { ForkedChild, type Reply } from './node-child.ts';
import type { OpOutcome } from './outcome.ts';

const CHILD_SCRIPT = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));
const PREPARE_TIMEOUT_MS = 60_000;

export interface CaseResult {
  fuzzCase: FuzzCase;
  operations: { operation: string; outcome: OpOutcome }[];
  peakRiseBytes: number;
  arrayBuffersRiseBytes: number;
  pollution: string[];
  leakedDescriptors: number;
}

export interface PoolOptions {
  format: Format;
  bases: Map<string, ShapeBase>;
  workDir: string;
  children: number;
  caseTimeoutMs: number;
}

function failedCase(fuzzCase: FuzzCase, outcome: OpOutcome): CaseResult {
  return {
    fuzzCase,
    operations: [{ operation: fuzzCase.operations.join('+'), outcome }],
    peakRiseBytes: 0,
    arrayBuffersRiseBytes: 0,
    pollution: [],
    leakedDescriptors: 0,
  };
}

function describeExit(reply: Reply<unknown>): string {
  if (reply.kind === 'exit')
    return `the child exited (code ${reply.code}, signal ${reply.signal}): ${reply.stderr.slice(-600)}`;
  if (reply.kind === 'timeout') return `no answer within ${reply.afterMs} ms`;
  return `unexpected answer ${JSON.stringify(reply.value).slice(0, 300)}`;
}

/** One lane: a child at a time, taking cases from the shared queue. */
async function lane(queue: FuzzCase[], results: CaseResult[], options: PoolOptions): Promise<void> {
  let child: ForkedChild | undefined;
  let preparedShape: string | undefined;
  try {
    for (let fuzzCase = queue.shift(); fuzzCase; fuzzCase = queue.shift()) {
      if (!child) {
        child = new ForkedChild(CHILD_SCRIPT);
        preparedShape = undefined;
        const ready = await child.ready;
        if (ready.kind !== 'reply') throw new Error(`a fuzz child did not start: ${describeExit(ready)}`);
      }
      if (preparedShape !== fuzzCase.shape) {
        const base = options.bases.get(fuzzCase.shape) as ShapeBase;
        const request: ChildRequest = {
          type: 'prepare',
          format: options.format,
          shape: fuzzCase.shape,
          baseFile: base.file,
          workDir: options.workDir,
        };
        const prepared = await child.request<{ type: string; message?: string }>(request, PREPARE_TIMEOUT_MS);
        if (prepared.kind !== 'reply' || prepared.value.type !== 'prepared')
          throw new Error(
            `a fuzz child could not prepare ${fuzzCase.shape}: ${prepared.kind === 'reply' ? prepared.value.message : describeExit(prepared)}`,
          );
        preparedShape = fuzzCase.shape;
      }
      const request: ChildRequest = {
        type: 'case',
        id: fuzzCase.id,
        mutation: fuzzCase.mutation,
        operations: fuzzCase.operations,
      };
      const reply = await child.request<CaseReport | { type: 'failed'; message: string }>(
        request,
        options.caseTimeoutMs,
      );
      if (reply.kind === 'reply' && reply.value.type === 'case') {
        const { operations, peakRiseBytes, arrayBuffersRiseBytes, pollution, leakedDescriptors } =
          reply.value;
        results.push({
          fuzzCase,
          operations,
          peakRiseBytes,
          arrayBuffersRiseBytes,
          pollution,
          leakedDescriptors,
        });
        if (reply.value.retiring) {
          await child.close();
          child = undefined;
        }
        continue;
      }
      if (reply.kind === 'reply')
        throw new Error(`the fuzz child failed on ${fuzzCase.id}: ${describeExit(reply)}`);
      results.push(
        failedCase(
          fuzzCase,
          reply.kind === 'timeout'
            ? { kind: 'hang', afterMs: reply.afterMs }
            : { kind: 'crash', detail: describeExit(reply) },
        ),
      );
      await child.close();
      child = undefined;
    }
  } finally {
    await child?.close();
  }
}

export async function runCases(cases: readonly FuzzCase[], options: PoolOptions): Promise<CaseResult[]> {
  const queue = [...cases];
  const results: CaseResult[] = [];
  const lanes = Array.from({ length: Math.max(1, Math.min(options.children, cases.length)) }, () =>
    lane(queue, results, options),
  );
  await Promise.all(lanes);
  return results;
}
