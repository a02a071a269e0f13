/**
 * One lane of the kill test: writer children (writer-child.ts) rewrite one file, one child at a
 * time, each SIGKILLed after a seeded random delay. After every kill the file must load as a
 * complete version: the last one a writer finished, or the one it had started (its rename may
 * have happened just before the kill), exactly; for HDF5 the file's other objects must still
 * load. At the end one more write runs, and then no temp file of a dead writer may be left.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ObjectSerializer } from '@hpc/serializer';
import fc from 'fast-check';
import { describeDifference } from './exact-equal.ts';
import { childEnv, NODE_SOURCE_FLAGS } from './node-child.ts';
import {
  claimedVersion,
  OTHER_OBJECTS,
  readVersion,
  targetFile,
  versionValue,
  type WriterKind,
  writeVersion,
} from './writers.ts';

const WRITER = fileURLToPath(new URL('./writer-child.ts', import.meta.url));

export interface LaneReport {
  kills: number;
  /** Kills after which the file held the version that was being written (its rename had happened). */
  newVersionAfterKill: number;
  /** Most leftover temp files seen at once between kills, and what is left after the final write. */
  maxLeftovers: number;
  leftoverAtEnd: string[];
  failures: string[];
}

interface Killed {
  started: number[];
  done: number[];
  stderr: string;
}

/** Starts a writer, waits until it is ready, lets it write for `delayMs`, then SIGKILLs it. */
async function runAndKill(
  kind: WriterKind,
  dir: string,
  first: number,
  scratch: string,
  delayMs: number,
): Promise<Killed> {
  const child = spawn(process.execPath, [...NODE_SOURCE_FLAGS, WRITER, kind, dir, String(first), scratch], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const startedInTime = await Promise.race([
    ready.then(() => true),
    exited.then(() => false),
    sleep(60_000, false),
  ]);
  if (startedInTime) await sleep(delayMs);
  child.kill('SIGKILL');
  await exited;
  if (!startedInTime) throw new Error(`a ${kind} writer never became ready: ${stderr}`);
  const numbers = (word: string) =>
    [...stdout.matchAll(new RegExp(`^${word} (\\d+)$`, 'gm'))].map((match) => Number(match[1]));
  return { started: numbers('start'), done: numbers('done'), stderr };
}

/** Files in the folder besides the target: temp files, locks, stale locks. */
function leftovers(kind: WriterKind, dir: string): string[] {
  const target = targetFile(kind, dir).split('/').at(-1);
  return readdirSync(dir).filter((name) => name !== target);
}

async function checkOthers(dir: string): Promise<string[]> {
  const crate = new ObjectSerializer(targetFile('h5', dir));
  const problems: string[] = [];
  for (const [path, value] of Object.entries(OTHER_OBJECTS)) {
    try {
      const difference = describeDifference(value, await crate.load(path));
      if (difference) problems.push(`${path} changed: ${difference}`);
    } catch (error) {
      problems.push(`${path} no longer loads: ${String(error).slice(0, 300)}`);
    }
  }
  return problems;
}

export async function killLane(
  kind: WriterKind,
  dir: string,
  scratch: string,
  options: { kills: number; maxDelayMs: number; seed: number },
): Promise<LaneReport> {
  const report: LaneReport = {
    kills: 0,
    newVersionAfterKill: 0,
    maxLeftovers: 0,
    leftoverAtEnd: [],
    failures: [],
  };
  if (kind === 'h5') {
    const crate = new ObjectSerializer(targetFile(kind, dir));
    for (const [path, value] of Object.entries(OTHER_OBJECTS)) await crate.serialize(value, path);
  }
  await writeVersion(kind, dir, 0);
  let lastDone = 0;
  let next = 1;
  const delays = fc.sample(fc.noBias(fc.integer({ min: 0, max: options.maxDelayMs })), {
    seed: options.seed,
    numRuns: options.kills,
  });
  for (const [index, delayMs] of delays.entries()) {
    const killed = await runAndKill(kind, dir, next, scratch, delayMs);
    report.kills++;
    const lastStarted = Math.max(lastDone, ...killed.started);
    lastDone = Math.max(lastDone, ...killed.done);
    next = lastStarted + 1;
    const where = `kill ${index} (after ${delayMs} ms; done ${lastDone}, started ${lastStarted})`;
    let value: unknown;
    try {
      value = await readVersion(kind, dir);
    } catch (error) {
      report.failures.push(`${where}: the file does not load: ${String(error).slice(0, 300)}`);
      continue;
    }
    const version = claimedVersion(kind, value);
    if (version !== lastDone && version !== lastStarted) {
      report.failures.push(`${where}: the file holds version ${version}, neither the old nor the new one`);
      continue;
    }
    const difference = describeDifference(versionValue(kind, version), value);
    if (difference) report.failures.push(`${where}: version ${version} is not complete: ${difference}`);
    if (version === lastStarted && lastStarted > lastDone) {
      report.newVersionAfterKill++;
      lastDone = lastStarted;
    }
    if (kind === 'h5')
      report.failures.push(...(await checkOthers(dir)).map((problem) => `${where}: ${problem}`));
    report.maxLeftovers = Math.max(report.maxLeftovers, leftovers(kind, dir).length);
  }
  await writeVersion(kind, dir, next);
  report.leftoverAtEnd = leftovers(kind, dir);
  return report;
}
