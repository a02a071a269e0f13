import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Opt-in (HPC_RUNNER_TIMINGS=1) breakdown of one runner start, written to `<job-dir>/timings.json`
 * after the outcome: where the milliseconds of a task go (Node boot, runner load, user module
 * import, crate read, run, result, outcome). Off, it costs one environment lookup and nothing is
 * written. Node's own exit comes after the file is written: a caller that times the whole command
 * gets it as wall time minus `totalMs`.
 */
export const TIMINGS_FILE = 'timings.json';

/** The phases, in the order they happen; each is the time from the previous mark to its own. */
export type TimingPhase =
  /** Node's start until its bootstrap is complete (performance.nodeTiming.bootstrapComplete). */
  | 'nodeBoot'
  /** Loading the runner bundle: compiling and evaluating it and the built-ins it imports. */
  | 'runnerLoad'
  /** Arguments, module hooks, the container, signal handlers. */
  | 'setup'
  /** The job's --import modules. */
  | 'userImport'
  /** The job folder's work dir and log capture, the crate digest check, then decoding the crate. */
  | 'crateRead'
  /** The Process's run(). */
  | 'run'
  /** Encoding run()'s value. */
  | 'resultEncode'
  /** Writing the result, closing the logs and writing the outcome. */
  | 'resultWriteAndOutcome';

export interface StartupTimings {
  /** Milliseconds per phase (rounded to 0.01 ms); a phase that did not happen is absent. */
  phases: Partial<Record<TimingPhase, number>>;
  /** From Node's start to the last mark (the outcome written). */
  totalMs: number;
}

const TIMINGS_KEY = Symbol.for('@hpc/runner-timings');
type Marks = [TimingPhase, number][];

/** Whether this run records timings (read once: the user's code may change the environment). */
export const timingsEnabled: boolean = process.env.HPC_RUNNER_TIMINGS === '1';

/** The marks, shared through globalThis so the entry and the lazily loaded runner see one list. */
function marks(): Marks {
  const holder = globalThis as { [TIMINGS_KEY]?: Marks };
  holder[TIMINGS_KEY] ??= [];
  return holder[TIMINGS_KEY];
}

/** Marks the end of `phase` now (the first time only: user code may reach the same hook again). */
export function markPhase(phase: TimingPhase): void {
  if (!timingsEnabled) return;
  const list = marks();
  if (!list.some(([name]) => name === phase)) list.push([phase, sinceStart()]);
}

/** The phases marked so far, each as the time since the mark before it (Node's start for the first). */
export function startupTimings(): StartupTimings {
  const phases: StartupTimings['phases'] = {};
  let previous = 0;
  // Read only now: the `performance` global loads perf_hooks (~10 modules), kept out of the marks.
  const clockOffset = performance.now() - sinceStart();
  const boot: Marks = [['nodeBoot', performance.nodeTiming.bootstrapComplete - clockOffset]];
  const sorted = [...boot, ...marks()].sort((a, b) => a[1] - b[1]);
  for (const [phase, at] of sorted) {
    phases[phase] = round(at - previous);
    previous = at;
  }
  return { phases, totalMs: round(previous) };
}

/** Best effort: timings are a diagnostic, never a reason for a job to fail. */
export function writeStartupTimings(jobDir: string, mode: number): void {
  if (!timingsEnabled) return;
  try {
    writeFileSync(join(jobDir, TIMINGS_FILE), `${JSON.stringify(startupTimings(), null, 2)}\n`, { mode });
  } catch {
    // The outcome is what matters; a missing timings file says enough.
  }
}

/** Milliseconds since Node started, without touching `performance` (its first use costs ~1 ms). */
function sinceStart(): number {
  return process.uptime() * 1000;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
