import { asJobId, type JobId } from '@hpc/core';
import type { CommandRunner } from './command-runner.ts';
import { SchedulerCommandError, SchedulerUnavailableError, SubmissionRefusedError } from './errors.ts';
import { findQueuedSubmissions } from './submission-lookup.ts';

/** How one sbatch call ended, as far as the job is concerned. */
export type SbatchAnswer =
  /** The job is queued under `id` (sbatch said so, or it was found by its token after a failure). */
  | { kind: 'queued'; id: JobId; from: 'sbatch' | 'lookup' }
  /** SLURM provably did not queue the job: the controller refused it, or was never reached. */
  | { kind: 'refused'; error: SubmissionRefusedError | SchedulerUnavailableError }
  /** sbatch failed in a way that may still have queued the job (timeout, lost answer). */
  | { kind: 'uncertain'; error: Error };

/**
 * Runs sbatch once and says what became of the job; never throws. sbatch can fail *and* have queued the job (a
 * timed-out answer, "Socket timed out", a killed client), so every failure is followed by one
 * lookup of the submission's token in this user's queue: a job found there is the submission's.
 * Only a refusal the controller gave, or a controller never reached, counts as "not queued".
 */
export async function runSbatch(
  run: CommandRunner,
  script: string,
  cwd: string,
  token: string,
  lookupTimeoutMs?: number,
  /** Options before the script (a batch slice's --array, --comment) and the script's arguments. */
  extra: { options?: readonly string[]; scriptArgs?: readonly string[] } = {},
): Promise<SbatchAnswer> {
  const args = ['--parsable', ...(extra.options ?? []), script, ...(extra.scriptArgs ?? [])];
  let failure: Error;
  let definite: boolean;
  try {
    const result = await run('sbatch', args, { cwd });
    if (result.exitCode === 0) {
      try {
        return { kind: 'queued', id: parseSbatchJobId(result.stdout, args), from: 'sbatch' };
      } catch (error) {
        failure = error as SchedulerCommandError;
        definite = false;
      }
    } else {
      failure = new SubmissionRefusedError(args, result.exitCode, result.stderr, script);
      definite = true;
    }
  } catch (error) {
    // Whatever went wrong, sbatch may have been started: only a missing sbatch or an unreachable
    // controller is a sure "not queued".
    failure = error instanceof Error ? error : new Error(String(error));
    definite =
      error instanceof SchedulerUnavailableError &&
      (error.reason === 'not-installed' || NEVER_SENT.test(error.stderr));
  }
  try {
    const match = (await findQueuedSubmissions(run, [token], lookupTimeoutMs)).get(token)?.[0];
    // A refusal that left a FAILED record behind (no node could ever run it) stays a refusal.
    if (match && !(match.refusedAtSubmit && failure instanceof SubmissionRefusedError))
      return { kind: 'queued', id: match.id, from: 'lookup' };
  } catch {
    // The queue could not be read either: decide from sbatch's failure alone.
  }
  if (failure instanceof SubmissionRefusedError) return { kind: 'refused', error: failure };
  if (definite && failure instanceof SchedulerUnavailableError) return { kind: 'refused', error: failure };
  return { kind: 'uncertain', error: failure };
}

/** sbatch's messages for a controller it never got a request to (nothing can have been queued). */
const NEVER_SENT =
  /Unable to contact slurm controller \(connect failure\)|Unable to establish controller machine/i;

/** `sbatch --parsable` prints 'id' or 'id;cluster'. */
export function parseSbatchJobId(stdout: string, args: readonly string[] = []): JobId {
  const first = stdout.trim().split('\n').pop()?.split(';')[0]?.trim() ?? '';
  if (!/^\d+(_\d+)?$/.test(first)) {
    throw new SchedulerCommandError(
      'sbatch',
      args,
      0,
      `sbatch --parsable printed no job id: ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  }
  return asJobId(first);
}
