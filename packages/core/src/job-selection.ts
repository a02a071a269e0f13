import { isTerminalState, type JobState, type JobStatus } from './job-state.ts';
import { InvalidOptionError } from './option-errors.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * '30d', '12h', '90m', '45s', '2w' as milliseconds. Anything else (no unit, a negative, '1d12h')
 * is an InvalidOptionError naming `option`.
 */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new InvalidOptionError({
      option,
      value: text,
      allowed: 'a number and one unit: s, m, h, d or w (30d, 12h, 90m)',
    });
  return ms;
}

/** A shell-style pattern on the whole name: `*` any run of characters, `?` one, everything else literal. */
export function globToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'su');
}

/** A job, or a batch with every process's state, that clean may remove. */
export interface CleanCandidate {
  /** The id forgetJobs() takes: a job's or a batch's. */
  id: string;
  name: string;
  states: readonly JobState[];
}

export interface CleanSelection {
  /** Only what ended at least this long ago (by its end time; the latest process's for a batch). */
  olderThanMs: number;
  /** Only what ended in one of these states (a batch: every process did). */
  states?: ReadonlySet<JobStatus>;
  /** Only names matching (globToRegExp). */
  name?: RegExp;
  /** Default Date.now(). */
  now?: number;
}

/**
 * Why clean keeps a job that its name and state filters match. 'shares-folder': a batch split over
 * several SLURM arrays goes whole, and another of its arrays was not chosen.
 */
export type KeptReason = 'not-final' | 'too-recent' | 'end-unknown' | 'shares-folder';

export interface CleanChoice {
  selected: string[];
  kept: { id: string; reason: KeptReason }[];
}

/**
 * What `clean` removes: finished jobs and batches matching the filters whose end is older than the
 * cutoff. A match that has not finished, ended too recently, or whose end time is not known (no
 * accounting) is kept and says why; what the filters do not match is not mentioned.
 */
export function selectJobsToClean(
  candidates: readonly CleanCandidate[],
  selection: CleanSelection,
): CleanChoice {
  const cutoff = (selection.now ?? Date.now()) - selection.olderThanMs;
  const choice: CleanChoice = { selected: [], kept: [] };
  for (const candidate of candidates) {
    if (selection.name && !selection.name.test(candidate.name)) continue;
    const { states } = candidate;
    if (selection.states && !states.every((state) => selection.states?.has(state.status))) continue;
    const reason = keptReason(states, cutoff);
    if (reason) choice.kept.push({ id: candidate.id, reason });
    else choice.selected.push(candidate.id);
  }
  return choice;
}

function keptReason(states: readonly JobState[], cutoff: number): KeptReason | undefined {
  if (states.length === 0 || !states.every(isTerminalState)) return 'not-final';
  const ends = states.map((state) => (state.endedAt ? Date.parse(state.endedAt) : Number.NaN));
  if (ends.some((end) => !Number.isFinite(end))) return 'end-unknown';
  return Math.max(...ends) <= cutoff ? undefined : 'too-recent';
}
