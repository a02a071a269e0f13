import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { archiveAttemptFiles, JOB_FILES } from '@hpc/container';
import type { AttemptCause, AttemptMechanism } from '@hpc/core';
import { processSchedulerId, processSubmission } from './batch-process-retry.ts';
import type { CommandRunner } from './command-runner.ts';
import { currentAttempt, type RecordedAttempt, recordAttempt } from './job-attempts.ts';
import { type JobRecord, readJobRecord, writeJobRecord } from './job-record.ts';
import { writePrivateFile } from './private-files.ts';
import { runSbatch } from './sbatch-answer.ts';
import { SLURM_JOB_FILES } from './sbatch-script.ts';
import { findAccountedSubmissions, findQueuedSubmissions } from './submission-lookup.ts';

/**
 * A new attempt of a job as a new sbatch of the same job folder (new SLURM id, same logical id),
 * as safe as the first submission: the attempt is claimed (one claim file per attempt number, made
 * exclusively, so two pollers never both submit it), the previous attempt's files are moved to
 * `attempts/<n>/`, the attempt is recorded with its own token before sbatch runs, and an sbatch
 * whose answer was lost is settled by looking the token up (never two jobs, never an untracked one).
 */

export interface ResubmitContext {
  run: CommandRunner;
  modes: { file: number; dir: number };
  commandTimeoutMs?: number;
  /** How long a recorded attempt whose sbatch never answered is looked up before it is submitted again. */
  lookupAfterMs?: number;
  now?: () => number;
}

export interface ResubmitRequest {
  jobDir: string;
  cause: AttemptCause;
  /** What ended the previous attempt ('out-of-memory'). */
  after: string;
  /** What this attempt changes (shown): { mem: '4G' }. */
  changed: Record<string, string>;
  /** Every sbatch option the attempt is submitted with, on top of the job script's (`--mem=4G`). */
  options: Record<string, string>;
  mechanism?: AttemptMechanism;
}

export type ResubmitResult =
  /** Queued under attempt.schedulerId. */
  | { kind: 'queued'; attempt: RecordedAttempt; record: JobRecord }
  /** sbatch refused it (the attempt is recorded as failed, with sbatch's words). */
  | { kind: 'refused'; attempt: RecordedAttempt; record: JobRecord; message: string }
  /** Recorded, but sbatch's answer was lost: later polls settle it (settleAttempt). */
  | { kind: 'uncertain'; attempt: RecordedAttempt; record: JobRecord }
  /** Another poller claimed this attempt first: the record as it is now. */
  | { kind: 'claimed-elsewhere'; record: JobRecord };

/** Starts the next attempt of the job in `request.jobDir` (see the module comment). */
export async function resubmit(context: ResubmitContext, request: ResubmitRequest): Promise<ResubmitResult> {
  const record = readJobRecord(request.jobDir);
  if (!record) throw new Error(`${request.jobDir} has no job.json to resubmit`);
  const previous = currentAttempt(record);
  const number = previous.number + 1;
  if (!claim(request.jobDir, number))
    return { kind: 'claimed-elsewhere', record: readJobRecord(request.jobDir) ?? record };
  archiveAttempt(request.jobDir, previous.number, context.modes, record.batchProcess === undefined);
  const attempt: RecordedAttempt = {
    number,
    cause: request.cause,
    after: request.after,
    mechanism: request.mechanism ?? 'resubmitted',
    ...(Object.keys(request.changed).length > 0 ? { changed: request.changed } : {}),
    token: randomBytes(8).toString('hex'),
    submittedAt: new Date(context.now?.() ?? Date.now()).toISOString(),
    options: request.options,
  };
  const intent = recordAttempt(record, attempt);
  await writeJobRecord(intent, context.modes.file, true);
  return submitAttempt(context, intent, attempt);
}

/**
 * A recorded attempt without a SLURM id (its sbatch never answered): found by its token in the
 * queue or accounting, or, once lookupAfterMs has passed without a trace, submitted again.
 */
export async function settleAttempt(context: ResubmitContext, record: JobRecord): Promise<ResubmitResult> {
  const attempt = currentAttempt(record);
  if (attempt.schedulerId !== undefined || !attempt.token) return { kind: 'claimed-elsewhere', record };
  const timeout = context.commandTimeoutMs;
  const queued = (await findQueuedSubmissions(context.run, [attempt.token], timeout)).get(attempt.token);
  const since = new Date(Date.parse(attempt.submittedAt ?? record.createdAt) - 60_000);
  const found =
    queued?.[0] ??
    (await findAccountedSubmissions(context.run, [attempt.token], since, timeout))?.get(attempt.token)?.[0];
  if (found)
    return confirmAttempt(context, record, { ...attempt, schedulerId: processSchedulerId(record, found.id) });
  const age = (context.now?.() ?? Date.now()) - Date.parse(attempt.submittedAt ?? record.createdAt);
  if (age < (context.lookupAfterMs ?? 60_000)) return { kind: 'uncertain', attempt, record };
  return submitAttempt(context, record, { ...attempt, submittedAt: new Date().toISOString() });
}

async function submitAttempt(
  context: ResubmitContext,
  record: JobRecord,
  attempt: RecordedAttempt,
): Promise<ResubmitResult> {
  // A retried batch process: the batch's script as a one-task array running only that process.
  const batch = record.batchProcess && processSubmission({ ...record, batchProcess: record.batchProcess });
  const options = [...sbatchOptions(record, attempt), ...(batch?.options ?? [])];
  const script = batch?.script ?? join(record.jobDir, SLURM_JOB_FILES.script);
  const answer = await runSbatch(
    context.run,
    script,
    record.jobDir,
    attempt.token as string,
    context.commandTimeoutMs,
    { options, ...(batch ? { scriptArgs: batch.scriptArgs } : {}) },
  );
  if (answer.kind === 'queued')
    return confirmAttempt(context, record, {
      ...attempt,
      schedulerId: processSchedulerId(record, answer.id),
    });
  if (answer.kind === 'uncertain') return { kind: 'uncertain', attempt, record };
  const message = answer.error.message;
  const ended: RecordedAttempt = { ...attempt, endedAs: 'failed', endNote: `sbatch refused it: ${message}` };
  const refused = recordAttempt(record, ended);
  await writeJobRecord(refused, context.modes.file, false);
  return { kind: 'refused', attempt: ended, record: refused, message };
}

async function confirmAttempt(
  context: ResubmitContext,
  record: JobRecord,
  attempt: RecordedAttempt,
): Promise<ResubmitResult> {
  const confirmed = recordAttempt(readJobRecord(record.jobDir) ?? record, attempt);
  await writeJobRecord(confirmed, context.modes.file, false);
  return { kind: 'queued', attempt, record: confirmed };
}

/** The attempt's sbatch options: its token in the comment (after the user's own), then its resources. */
function sbatchOptions(record: JobRecord, attempt: RecordedAttempt): string[] {
  const comment = [record.resources?.comment, `hpc:${attempt.token}`].filter(Boolean).join(' ');
  const resources = Object.entries(attempt.options ?? {}).filter(([key]) => key !== 'comment');
  return [`--comment=${comment}`, ...resources.map(([key, value]) => `--${key}=${value}`)];
}

/** Claims attempt `number` of the job: true for the one caller that creates its claim file. */
function claim(jobDir: string, number: number): boolean {
  try {
    closeSync(openSync(join(jobDir, `attempt-${number}.claim`), 'wx'));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** How long ago attempt `number` was claimed; undefined when it was not. */
export function claimAgeMs(jobDir: string, number: number): number | undefined {
  try {
    return Date.now() - statSync(join(jobDir, `attempt-${number}.claim`)).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The previous attempt's files to attempts/<n>/, and fresh private logs for the next one. */
function archiveAttempt(
  jobDir: string,
  number: number,
  modes: { file: number; dir: number },
  schedulerLogs: boolean,
): void {
  archiveAttemptFiles(jobDir, number, modes.dir);
  // A batch process's scheduler logs are its task's (tasks/%A_%a.*), not in its own folder.
  if (!schedulerLogs) return;
  // slurmstepd keeps an existing log file's mode: the new attempt's logs are made private again.
  writePrivateFile(join(jobDir, JOB_FILES.schedulerStdout), '', modes.file);
  writePrivateFile(join(jobDir, JOB_FILES.schedulerStderr), '', modes.file);
}
