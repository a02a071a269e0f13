/**
 * The fuzz tally of one format: cases, typed errors, correct loads, wrong loads, hangs, untyped
 * errors (crashes included), plus what a reader needs to act on a failure: the shape and region
 * the damage was aimed at, and the case id and mutation to replay it. Printed, and written as JSON
 * to $HPC_RELIABILITY_REPORT_DIR (fuzz-<format>.tally; scripts/test.sh) so the closing summary repeats it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseResult } from './fuzz-pool.ts';
import { describeMutation } from './mutations.ts';
import { worstOf } from './outcome.ts';
import { settings } from './settings.ts';

/** No single case may raise its process's peak RSS (or hold new ArrayBuffers) by more than this. */
export const CASE_MEMORY_BOUND_BYTES = 256 << 20;

/** Problems by severity; a case is listed under its worst. */
const PROBLEM_KINDS = ['wrong', 'hang', 'untyped', 'pollution', 'memory', 'descriptors', 'unnamed'] as const;
type ProblemKind = (typeof PROBLEM_KINDS)[number];

export interface Failure {
  id: string;
  kind: ProblemKind;
  text: string;
}

export interface Tally {
  format: string;
  seed: number;
  cases: number;
  typedErrors: number;
  correctLoads: number;
  wrongLoads: number;
  hangs: number;
  untypedErrors: number;
  /** Typed errors whose message does not name the damaged file. */
  errorsNotNamingFile: number;
  pollutedCases: number;
  /** Cases after which the loading process had more file descriptors open than before. */
  leakedDescriptorCases: number;
  overMemoryBound: number;
  maxCaseMemoryBytes: number;
  tags: Record<string, number>;
  /** Wrong loads by "shape region" (the region the damage was aimed at, or anywhere/boundary). */
  wrongLoadsWhere: Record<string, number>;
  failures: Failure[];
  seconds: number;
}

const MiB = 1 << 20;

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** What is wrong with one case, worst first. */
function problemsOf(result: CaseResult): { kind: ProblemKind; text: string }[] {
  const problems: { kind: ProblemKind; text: string }[] = [];
  for (const { operation, outcome } of result.operations) {
    if (outcome.kind === 'wrong') problems.push({ kind: 'wrong', text: `wrong result: ${outcome.detail}` });
    if (outcome.kind === 'hang')
      problems.push({ kind: 'hang', text: `${operation}: no answer in ${outcome.afterMs} ms` });
    if (outcome.kind === 'crash') problems.push({ kind: 'untyped', text: `${operation}: ${outcome.detail}` });
    if (outcome.kind === 'untyped')
      problems.push({ kind: 'untyped', text: `${operation}: untyped ${outcome.name}: ${outcome.message}` });
    if (outcome.kind === 'typed' && !outcome.namesFile)
      problems.push({
        kind: 'unnamed',
        text: `${operation}: ${outcome.tag} not naming the file: ${outcome.message}`,
      });
  }
  if (result.pollution.length)
    problems.push({ kind: 'pollution', text: `prototype pollution: ${result.pollution.join(', ')}` });
  const memory = Math.max(result.peakRiseBytes, result.arrayBuffersRiseBytes);
  if (memory > CASE_MEMORY_BOUND_BYTES)
    problems.push({
      kind: 'memory',
      text: `took ${(memory / MiB).toFixed(0)} MiB (bound ${CASE_MEMORY_BOUND_BYTES / MiB})`,
    });
  if (result.leakedDescriptors > 0)
    problems.push({ kind: 'descriptors', text: `left ${result.leakedDescriptors} file descriptor(s) open` });
  return problems.sort((a, b) => PROBLEM_KINDS.indexOf(a.kind) - PROBLEM_KINDS.indexOf(b.kind));
}

export function tallyResults(
  format: string,
  seed: number,
  results: readonly CaseResult[],
  seconds: number,
): Tally {
  const tally: Tally = {
    format,
    seed,
    cases: results.length,
    typedErrors: 0,
    correctLoads: 0,
    wrongLoads: 0,
    hangs: 0,
    untypedErrors: 0,
    errorsNotNamingFile: 0,
    pollutedCases: 0,
    leakedDescriptorCases: 0,
    overMemoryBound: 0,
    maxCaseMemoryBytes: 0,
    tags: {},
    wrongLoadsWhere: {},
    failures: [],
    seconds: Math.round(seconds),
  };
  const byId = (a: CaseResult, b: CaseResult) =>
    a.fuzzCase.id.localeCompare(b.fuzzCase.id, 'en', { numeric: true });
  for (const result of [...results].sort(byId)) {
    const outcome = worstOf(result.operations.map((entry) => entry.outcome));
    tally.maxCaseMemoryBytes = Math.max(
      tally.maxCaseMemoryBytes,
      result.peakRiseBytes,
      result.arrayBuffersRiseBytes,
    );
    if (outcome.kind === 'correct') tally.correctLoads++;
    else if (outcome.kind === 'typed') {
      tally.typedErrors++;
      count(tally.tags, outcome.tag);
    } else if (outcome.kind === 'wrong') {
      tally.wrongLoads++;
      count(tally.wrongLoadsWhere, `${result.fuzzCase.shape} ${result.fuzzCase.mutation.aim}`);
    } else if (outcome.kind === 'hang') tally.hangs++;
    else tally.untypedErrors++;
    const problems = problemsOf(result);
    const kinds = new Set(problems.map((problem) => problem.kind));
    if (kinds.has('unnamed')) tally.errorsNotNamingFile++;
    if (kinds.has('pollution')) tally.pollutedCases++;
    if (kinds.has('memory')) tally.overMemoryBound++;
    if (kinds.has('descriptors')) tally.leakedDescriptorCases++;
    const worst = problems[0];
    if (!worst) continue;
    const text = `${result.fuzzCase.id} ${describeMutation(result.fuzzCase.mutation)}: ${problems.map((p) => p.text).join('; ')}`;
    tally.failures.push({ id: result.fuzzCase.id, kind: worst.kind, text });
  }
  return tally;
}

export function tallyLine(tally: Tally): string {
  return (
    `${tally.format}: ${tally.cases} cases, ${tally.typedErrors} typed errors, ${tally.correctLoads} correct loads, ` +
    `${tally.wrongLoads} wrong loads, ${tally.hangs} hangs, ${tally.untypedErrors} untyped errors` +
    ` (seed ${tally.seed}; ${tally.errorsNotNamingFile} errors not naming the file, ${tally.pollutedCases} polluted,` +
    ` ${tally.leakedDescriptorCases} leaking descriptors, largest case ${(tally.maxCaseMemoryBytes / MiB).toFixed(1)} MiB` +
    ` of ${CASE_MEMORY_BOUND_BYTES / MiB} MiB allowed; ${tally.seconds} s)`
  );
}

/** Prints the tally, a few failures of each kind and how to replay them; writes the JSON report when asked. */
export function reportTally(tally: Tally, perKind = 8): void {
  const lines = [`[reliability] fuzz ${tallyLine(tally)}`];
  lines.push(`[reliability]   typed errors by tag: ${JSON.stringify(tally.tags)}`);
  if (tally.wrongLoads)
    lines.push(`[reliability]   wrong loads by shape and aim: ${JSON.stringify(tally.wrongLoadsWhere)}`);
  for (const kind of PROBLEM_KINDS) {
    const ofKind = tally.failures.filter((failure) => failure.kind === kind);
    if (ofKind.length === 0) continue;
    lines.push(`[reliability]   ${ofKind.length} case(s) whose worst problem is "${kind}", e.g.:`);
    for (const failure of ofKind.slice(0, perKind))
      lines.push(`[reliability]     ${failure.text.slice(0, 400)}`);
  }
  const worstKind = PROBLEM_KINDS.find((kind) => tally.failures.some((failure) => failure.kind === kind));
  if (worstKind) {
    const ids = tally.failures
      .filter((failure) => failure.kind === worstKind)
      .slice(0, 3)
      .map((failure) => failure.id);
    lines.push(
      `[reliability]   replay: HPC_FUZZ_SEED=${tally.seed} HPC_FUZZ_ONLY=${ids.join(',')} pnpm exec vitest run --project reliability fuzz-${tally.format}`,
    );
  }
  console.log(lines.join('\n'));
  const dir = settings.reportDir();
  if (dir) writeFileSync(join(dir, `fuzz-${tally.format}.tally`), JSON.stringify(tally, null, 2));
}
