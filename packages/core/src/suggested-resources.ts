import { InvalidJobSettingError } from './job-errors.ts';
import { memoryFit, memoryText, type ProcessClassStats, slurmTimeText, timeFit } from './job-stats.ts';
import { requestedResourcesOf } from './requested-resources.ts';

export type SuggestedOption = 'mem' | 'time';

/**
 * SubmitOptions.resources: 'requested' (the default) runs with what the submit asks; 'suggested'
 * replaces its mem and time (the driver's defaults and the submit's own alike) with what the
 * class's history needs (`hpc stats`' figure); `{ suggested: ['mem'] }` only those, so an
 * explicit time stands.
 */
export type ResourcesChoice = 'requested' | 'suggested' | { suggested: readonly SuggestedOption[] };

/** One resource a `resources: 'suggested'` submission took from its class's history, or why it did not. */
export interface SuggestedResource {
  option: SuggestedOption;
  /** What the submit asked, in sbatch's form ('16G', '01:00:00'); absent: nothing (the site's default). */
  asked?: string;
  /** What it runs with instead; absent: the request stood as given. */
  applied?: string;
  /** The class's measured runs the figure comes from. */
  runs: number;
  /** 'mem=2G suggested from 48 runs, asked 16G'; 'time: 3 measured runs of Train, 5 needed; asked 01:00:00 stands'. */
  text: string;
}

/** A partition's limits the applied figures stay within. */
export interface SuggestionCaps {
  partition: string;
  maxMemMiB?: number | undefined;
  maxTimeMs?: number | undefined;
}

export interface SuggestionInput {
  /** The Process class (job name) whose history it is. */
  name: string;
  history: ProcessClassStats | undefined;
  options: readonly SuggestedOption[];
  /** Fewer measured runs than this: the request stands (default 5, as in stats()). */
  minRuns?: number;
  caps?: SuggestionCaps | undefined;
}

type Args = Readonly<Record<string, string | number | boolean | undefined>>;

const ALLOWED =
  "'suggested' (mem and time from the class's history), { suggested: ['mem'] } or ['time'] for one of them, or 'requested'";

/** The options `resources` takes from history ([] for 'requested' or none); a typed error naming `resources` otherwise. */
export function suggestedOptionsOf(choice: unknown): SuggestedOption[] {
  if (choice === undefined || choice === 'requested') return [];
  if (choice === 'suggested') return ['mem', 'time'];
  const listed =
    typeof choice === 'object' && choice !== null ? (choice as { suggested?: unknown }).suggested : undefined;
  if (
    Array.isArray(listed) &&
    listed.length > 0 &&
    listed.every((option) => option === 'mem' || option === 'time')
  )
    return [...new Set(listed as SuggestedOption[])];
  throw new InvalidJobSettingError('resources', describe(choice), 'invalid-value', `use ${ALLOWED}`);
}

/**
 * The sbatch options with mem and time replaced by what the class's history needs: the p95 and
 * the highest observed figure each with its margin (memoryFit/timeFit, what stats() suggests),
 * never lowered after a run ran out of memory, time never changed after a timeout, within the
 * partition's caps; with fewer than minRuns measured runs the request stands. Every option asked
 * about gets a note saying which.
 */
export function applySuggestedResources<A extends Args>(
  slurmArgs: A | undefined,
  input: SuggestionInput,
): { slurmArgs: A; resources: SuggestedResource[] } {
  const asked = requestedResourcesOf(slurmArgs);
  const args: Record<string, string | number | boolean | undefined> = { ...slurmArgs };
  const resources: SuggestedResource[] = [];
  const minRuns = input.minRuns ?? 5;
  const { history, caps, name } = input;
  if (input.options.includes('mem')) {
    const peaks = history?.peakBytes;
    const askedText = asked.memBytes !== undefined ? memoryText(asked.memBytes) : undefined;
    if (!peaks || peaks.runs < minRuns) {
      resources.push(
        standing(
          'mem',
          askedText,
          peaks?.runs ?? 0,
          `${peaks?.runs ?? 0} measured runs of ${name}, ${minRuns} needed`,
        ),
      );
    } else {
      // After an out-of-memory end the peak only says "at least": never ask for less than now.
      let bytes = memoryFit(peaks);
      if (history?.outOfMemory && asked.memBytes !== undefined) bytes = Math.max(bytes, asked.memBytes);
      let capped = '';
      if (caps?.maxMemMiB !== undefined && bytes > caps.maxMemMiB * 1024 ** 2) {
        bytes = caps.maxMemMiB * 1024 ** 2;
        capped = ` (capped at partition ${caps.partition}'s MaxMemPerNode ${caps.maxMemMiB}M)`;
      }
      const applied = memoryText(bytes);
      args.mem = applied;
      delete args['mem-per-cpu'];
      delete args['mem-per-gpu'];
      resources.push(used('mem', askedText, applied, peaks.runs, capped));
    }
  }
  if (input.options.includes('time')) {
    const walls = history?.wallMs;
    const askedText = asked.timeLimitMs !== undefined ? slurmTimeText(asked.timeLimitMs) : undefined;
    if (!walls || walls.runs < minRuns) {
      resources.push(
        standing(
          'time',
          askedText,
          walls?.runs ?? 0,
          `${walls?.runs ?? 0} measured runs of ${name}, ${minRuns} needed`,
        ),
      );
    } else if (history?.states.timeout) {
      resources.push(
        standing('time', askedText, walls.runs, `${history.states.timeout} of ${name}'s runs timed out`),
      );
    } else {
      let ms = timeFit(walls);
      let capped = '';
      if (caps?.maxTimeMs !== undefined && ms > caps.maxTimeMs) {
        ms = caps.maxTimeMs;
        capped = ` (capped at partition ${caps.partition}'s MaxTime)`;
      }
      const applied = slurmTimeText(ms);
      args.time = applied;
      resources.push(used('time', askedText, applied, walls.runs, capped));
    }
  }
  return { slurmArgs: args as A, resources };
}

function used(
  option: SuggestedOption,
  asked: string | undefined,
  applied: string,
  runs: number,
  capped: string,
): SuggestedResource {
  const text = `${option}=${applied} suggested from ${runs} runs, asked ${asked ?? "the site's default"}${capped}`;
  return { option, ...(asked !== undefined ? { asked } : {}), applied, runs, text };
}

function standing(
  option: SuggestedOption,
  asked: string | undefined,
  runs: number,
  why: string,
): SuggestedResource {
  const text = `${option}: ${why}; ${asked !== undefined ? `asked ${asked}` : "the site's default"} stands`;
  return { option, ...(asked !== undefined ? { asked } : {}), runs, text };
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/** Where a driver keeps what it applied, on the settings object it passes on (copied by spreads). */
const APPLIED = Symbol('hpc.suggestedResources');

/** The settings with what `resources: 'suggested'` applied attached, for the job's record. */
export function withSuggestedRecord<O extends object>(
  settings: O,
  resources: readonly SuggestedResource[],
): O {
  return { ...settings, [APPLIED]: resources };
}

/** What a driver's `resources: 'suggested'` applied to these settings; undefined when not asked. */
export function suggestedRecordOf(settings: object): readonly SuggestedResource[] | undefined {
  return (settings as { [APPLIED]?: readonly SuggestedResource[] })[APPLIED];
}

/** What job.json records as the request: the sbatch options' figures and, when applied, where they came from. */
export function recordedRequestOf(settings: {
  slurmArgs?: Args | undefined;
}): ReturnType<typeof requestedResourcesOf> {
  const suggested = suggestedRecordOf(settings);
  return { ...requestedResourcesOf(settings.slurmArgs), ...(suggested ? { suggested } : {}) };
}
