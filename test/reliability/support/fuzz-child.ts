/**
 * A child process that loads damaged crates, one case per message, and says what each load gave
 * and how much memory it took. The parent kills it when a case outlives its time bound (a hang)
 * and starts another.
 *
 * Memory: a case's peak is the process's peak RSS (getrusage maxRSS) when the case raised it,
 * measured from the RSS the case started with. Garbage left by earlier cases is in both figures,
 * so no forced GC is needed (one per case cost ~8 ms, more than most loads).
 */
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectSerializer, Serializer } from '@hpc/serializer';
import { descriptorsOn, openDescriptors } from './descriptors.ts';
import { describeDifference } from './exact-equal.ts';
import { applyMutation, type Mutation } from './mutations.ts';
import { classifyError, type OpOutcome } from './outcome.ts';
import { type PrototypeSnapshot, prototypeChanges, snapshotPrototypes } from './pollution.ts';
import { FUZZ_OBJECT_PATH, type Shape, shapeNamed } from './shapes.ts';

export type Format = 'bin' | 'h5';
export type Operation = 'load' | 'list' | 'info' | 'readArray';

export type ChildRequest =
  | { type: 'prepare'; format: Format; shape: string; baseFile: string; workDir: string }
  | { type: 'case'; id: string; mutation: Mutation; operations: Operation[] };

export interface CaseReport {
  type: 'case';
  id: string;
  operations: { operation: Operation; outcome: OpOutcome }[];
  /** How far the process's peak RSS rose above its RSS at the start of the case (0: no new peak). */
  peakRiseBytes: number;
  arrayBuffersRiseBytes: number;
  pollution: string[];
  /** Descriptors still open on the damaged file after the case (a failed open that never closed it). */
  leakedDescriptors: number;
  /** The child exits after this report (polluted, or too many leaked descriptors): start another. */
  retiring: boolean;
}

interface Prepared {
  format: Format;
  shape: Shape;
  original: unknown;
  bytes: Uint8Array;
  workDir: string;
  /** The file the current case is written to: a new one (a new inode) per case, see runCase. */
  caseFile: string;
  expected: { list: unknown; info: unknown };
  prototypes: PrototypeSnapshot;
}

let prepared: Prepared | undefined;
let casesRun = 0;
/** Beyond this many open descriptors a child retires, long before the process limit. */
const MAX_OPEN_DESCRIPTORS = 1_000;

function resolveProperty(
  value: unknown,
  property: string,
): ArrayLike<unknown> & { slice(a: number, b: number): unknown } {
  let current = value;
  for (const step of property.split('.')) current = (current as Record<string, unknown>)[step];
  return current as ArrayLike<unknown> & { slice(a: number, b: number): unknown };
}

async function runOperation(state: Prepared, operation: Operation): Promise<unknown> {
  const { caseFile, shape, format } = state;
  if (format === 'bin') return Serializer.deserializeFromFile(caseFile);
  const crate = new ObjectSerializer(caseFile);
  if (operation === 'load') return crate.load(FUZZ_OBJECT_PATH);
  if (operation === 'list') return crate.list();
  if (operation === 'info') return crate.info(FUZZ_OBJECT_PATH);
  const spec = shape.readArray as NonNullable<Shape['readArray']>;
  return crate.readArray(FUZZ_OBJECT_PATH, spec.property, { start: spec.start, count: spec.count });
}

function expectedResult(state: Prepared, operation: Operation): unknown {
  if (operation === 'load') return state.original;
  if (operation === 'list' || operation === 'info') return state.expected[operation];
  const spec = state.shape.readArray as NonNullable<Shape['readArray']>;
  return resolveProperty(state.original, spec.property).slice(spec.start, spec.start + spec.count);
}

async function outcomeOf(state: Prepared, operation: Operation): Promise<OpOutcome> {
  let result: unknown;
  try {
    result = await runOperation(state, operation);
  } catch (error) {
    return classifyError(error, state.caseFile);
  }
  const difference = describeDifference(expectedResult(state, operation), result);
  return difference ? { kind: 'wrong', detail: `${operation}: ${difference}` } : { kind: 'correct' };
}

async function prepare(request: Extract<ChildRequest, { type: 'prepare' }>): Promise<void> {
  const shape = shapeNamed(request.shape);
  const caseFile = join(request.workDir, `case-${process.pid}.${request.format}`);
  copyFileSync(request.baseFile, caseFile);
  const state: Prepared = {
    format: request.format,
    shape,
    original: shape.build(),
    bytes: readFileSync(request.baseFile),
    workDir: request.workDir,
    caseFile,
    expected: { list: undefined, info: undefined },
    prototypes: new Map(),
  };
  // The undamaged crate must load exactly (else every case would count as wrong), and warms up
  // whatever the loader initialises once (the wasm runtime) before the prototypes are recorded.
  const baseline = describeDifference(state.original, await runOperation(state, 'load'));
  if (baseline)
    throw new Error(`the undamaged ${request.format} crate of ${shape.name} loads differently: ${baseline}`);
  if (state.format === 'h5') {
    state.expected.list = await runOperation(state, 'list');
    state.expected.info = await runOperation(state, 'info');
    if (shape.readArray) await runOperation(state, 'readArray');
  }
  state.prototypes = snapshotPrototypes();
  prepared = state;
}

async function runCase(request: Extract<ChildRequest, { type: 'case' }>): Promise<CaseReport> {
  const state = prepared;
  if (!state) throw new Error('a case arrived before prepare');
  // A new name per case, so each case is a new inode: HDF5 shares an already-open file by inode,
  // so a handle leaked by an earlier failed load would serve its stale metadata to the next case.
  rmSync(state.caseFile, { force: true });
  state.caseFile = join(state.workDir, `case-${process.pid}-${casesRun++}.${state.format}`);
  writeFileSync(state.caseFile, applyMutation(state.bytes, request.mutation));
  const rssBefore = process.memoryUsage.rss();
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
  const operations: CaseReport['operations'] = [];
  for (const operation of request.operations)
    operations.push({ operation, outcome: await outcomeOf(state, operation) });
  const peakAfter = process.resourceUsage().maxRSS * 1024;
  const pollution = prototypeChanges(state.prototypes);
  return {
    type: 'case',
    id: request.id,
    operations,
    peakRiseBytes: peakAfter > peakBefore ? peakAfter - rssBefore : 0,
    arrayBuffersRiseBytes: Math.max(0, process.memoryUsage().arrayBuffers - arrayBuffersBefore),
    pollution,
    leakedDescriptors: descriptorsOn(state.caseFile),
    retiring: pollution.length > 0 || openDescriptors() > MAX_OPEN_DESCRIPTORS,
  };
}

process.on('message', (request: ChildRequest) => {
  const reply =
    request.type === 'prepare' ? prepare(request).then(() => ({ type: 'prepared' })) : runCase(request);
  reply.then(
    (message) => {
      process.send?.(message);
      // A polluted process cannot judge later cases: the parent starts a fresh one.
      if ('retiring' in message && message.retiring) process.exit(0);
    },
    (error: unknown) => {
      process.send?.({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    },
  );
});
process.send?.({ type: 'ready' });
