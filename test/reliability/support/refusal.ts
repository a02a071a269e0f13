/** What a hostile file must get: a typed error of the expected kind, quickly, cheaply, saying nothing it should not. */
import type { ProbeReport } from './probe-child.ts';

/** Refusing a hostile file may take this much memory beyond the process's start, no more. */
export const REFUSAL_MEMORY_BOUND_BYTES = 256 << 20;

export interface Expectation {
  /** The acceptable `_tag`s. */
  tags: readonly string[];
  /** Text that must appear nowhere in the error (bytes of a file outside the crate). */
  secret?: string;
  /** The file the message must name (default: the file probed). */
  names?: string;
  /** A result is acceptable too, if it carries no `secret` (an operation that reads nothing the feature points at). */
  orResult?: boolean;
}

/** Every way the report misses the expectation, in words; [] when it meets it. */
export function refusalProblems(report: ProbeReport, file: string, expected: Expectation): string[] {
  const problems: string[] = [];
  const { outcome } = report;
  if (outcome.kind === 'typed') {
    if (!expected.tags.includes(outcome.tag))
      problems.push(`got ${outcome.tag} (${outcome.message}), expected ${expected.tags.join(' or ')}`);
    if (!outcome.message.includes(expected.names ?? file))
      problems.push(`the message does not name the file: ${outcome.message}`);
    if (expected.secret && outcome.message.includes(expected.secret))
      problems.push(`the message shows bytes of another file: ${outcome.message}`);
  } else if (outcome.kind === 'loaded') {
    if (expected.orResult && !(expected.secret && outcome.summary.includes(expected.secret))) return problems;
    problems.push(
      `it loaded instead of being refused${expected.secret && outcome.summary.includes(expected.secret) ? ', with bytes of another file in the value' : ''}: ${outcome.summary.slice(0, 200)}`,
    );
  } else {
    problems.push(`expected ${expected.tags.join(' or ')}, got ${JSON.stringify(outcome).slice(0, 400)}`);
  }
  if (report.peakRiseBytes > REFUSAL_MEMORY_BOUND_BYTES)
    problems.push(
      `it took ${(report.peakRiseBytes / 2 ** 20).toFixed(0)} MiB (bound ${REFUSAL_MEMORY_BOUND_BYTES / 2 ** 20} MiB)`,
    );
  if (report.descriptorsOnFile > 0)
    problems.push(`it left ${report.descriptorsOnFile} descriptor(s) open on the file`);
  return problems;
}
