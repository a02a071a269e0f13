import { closeSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { jobPaths, openForAppend } from '@hpc/container';
import { asFileWriteError, type FileModes, makeDirectory, RESTART_EXIT_CODE, type Sharing } from '@hpc/core';
import { runnerCommand } from '@hpc/runner';
import { execa, type Result, type ResultPromise } from 'execa';
import { type LocalJobRecord, readJobRecord, writeJobRecord } from './job-record.ts';
import { prepareRestart } from './local-restarts.ts';
import { prepareRelaunch } from './local-retries.ts';
import { terminateProcessGroup } from './process-group.ts';

/** A job this driver process queued: its record (the live copy) and its runner once started. */
export interface LiveJob {
  record: LocalJobRecord;
  child?: ResultPromise;
  exited: Promise<void>;
  markExited: () => void;
}

export interface LaunchSettings {
  nodePath: string | undefined;
  runnerPath: string | undefined;
  /** Between SIGTERM and SIGKILL at the time limit. */
  killGraceMs: number;
  share: Sharing;
  modes: FileModes;
}

/** What the launcher takes from the driver's options (SIGTERM to SIGKILL: 5 s unless set). */
export function launchSettingsOf(
  options: {
    nodePath?: string | undefined;
    runnerPath?: string | undefined;
    killGraceMs?: number | undefined;
  },
  share: Sharing,
  modes: FileModes,
): LaunchSettings {
  return {
    nodePath: options.nodePath,
    runnerPath: options.runnerPath,
    killGraceMs: options.killGraceMs ?? 5_000,
    share,
    modes,
  };
}

/**
 * Runs one job to its end, as the scheduler would: starts its node-runner, warns it (SIGUSR1)
 * `checkpointLeadSeconds` before its time limit, ends it at the limit, and records in job.json how
 * it went. Resolves once the runner is gone. A failure that belongs to this job (its folder
 * removed, its record unwritable, the disk full) is noted in the job's record — in memory, and on
 * disk where it can be — and never rejects: the driver goes on with the other jobs.
 */
export async function runJob(live: LiveJob, settings: LaunchSettings): Promise<void> {
  // A run that checkpointed (exit 75) is started again, as SLURM requeues it (local-restarts.ts).
  do await runOnce(live, settings);
  while (await prepareRestart(live.record, settings.modes.file));
}

async function runOnce(live: LiveJob, settings: LaunchSettings): Promise<void> {
  const { record } = live;
  let child: ResultPromise;
  try {
    // A batch task's folder (tasks/<n>) is made when it starts: 10,000 queued tasks cost nothing.
    if (record.batch) await makeDirectory(record.jobDir, settings.modes.dir);
    child = spawnRunner(record, settings);
  } catch (error) {
    record.failure = `the node-runner could not be started: ${messageOf(error)}`;
    record.endedAt = new Date().toISOString();
    await saveRecord(record, settings);
    return;
  }
  let result: Result;
  // Once per attempt: a failure the job's retry lists starts the runner again (local-retries.ts).
  for (;;) {
    live.child = child;
    record.pid = child.pid;
    record.startedAt = new Date().toISOString();
    await saveRecord(record, settings);
    const stopTimers = enforceTimeLimit(live, settings);
    result = await child;
    stopTimers();
    const end = { exitCode: result.exitCode, signal: result.signal };
    // A checkpointed run (exit 75) is restarted by runJob, not retried.
    if (end.exitCode === RESTART_EXIT_CODE) break;
    if (!(await prepareRelaunch(record, end, settings.modes.dir).catch(() => false))) break;
    try {
      child = spawnRunner(record, settings);
    } catch (error) {
      record.failure = `the node-runner could not be started again: ${messageOf(error)}`;
      record.endedAt = new Date().toISOString();
      await saveRecord(record, settings);
      return;
    }
  }
  await recordEnd(record, result, settings);
}

/** The warning and the limit, timed from the start; returns what cancels both. */
function enforceTimeLimit(live: LiveJob, settings: LaunchSettings): () => void {
  const limitMs = live.record.timeLimitMs;
  if (limitMs === undefined) return () => {};
  const leadMs = live.record.checkpointLeadSeconds * 1_000;
  const warning = leadMs > 0 ? setTimeout(() => void warn(live, settings), limitMs - leadMs) : undefined;
  const limit = setTimeout(() => void timeOut(live, settings), limitMs);
  return () => {
    clearTimeout(warning);
    clearTimeout(limit);
  };
}

/** SLURM's `--signal=B:USR1@lead`: to the runner only (it is the batch step), not its children. */
async function warn(live: LiveJob, settings: LaunchSettings): Promise<void> {
  const pid = live.child?.pid;
  if (pid === undefined || live.record.endedAt) return;
  live.record.warnedAt = new Date().toISOString();
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    return; // Already gone.
  }
  await saveRecord(live.record, settings);
}

async function timeOut(live: LiveJob, settings: LaunchSettings): Promise<void> {
  const pid = live.child?.pid;
  if (live.record.endedAt || pid === undefined) return;
  live.record.timedOutAt = new Date().toISOString();
  await saveRecord(live.record, settings);
  await terminateProcessGroup(pid, settings.killGraceMs);
}

async function recordEnd(record: LocalJobRecord, result: Result, settings: LaunchSettings): Promise<void> {
  // Another process (the CLI) may have cancelled the job meanwhile: keep what it recorded.
  const onDisk = await readJobRecord(record.jobDir).catch(() => undefined);
  record.cancelledAt ??= onDisk?.cancelledAt;
  record.timedOutAt ??= onDisk?.timedOutAt;
  record.endedAt = new Date().toISOString();
  record.exitCode = result.exitCode ?? null;
  record.signal = result.signal ?? null;
  if (!(await exists(record.jobDir)))
    record.failure = `its job folder ${record.jobDir} was removed while it ran`;
  await saveRecord(record, settings);
}

/** Writes job.json; when that fails (disk full, folder gone) the live record keeps the reason. */
async function saveRecord(record: LocalJobRecord, settings: LaunchSettings): Promise<void> {
  try {
    await writeJobRecord(record, settings.modes.file);
  } catch (error) {
    record.failure ??= `its record could not be written: ${messageOf(error)}`;
  }
}

/**
 * Starts the runner in its own process group, writing its logs through its own file descriptors
 * (not piped through this process), so a running job keeps logging after the submitter exits.
 * Throws (a FileWriteError) when its log files cannot be opened, e.g. its folder was removed.
 */
function spawnRunner(record: LocalJobRecord, settings: LaunchSettings): ResultPromise {
  const paths = jobPaths(record.jobDir);
  const target = record.batch
    ? { crate: '', object: undefined, jobDir: undefined, batch: { taskId: record.id, ...record.batch } }
    : {
        crate: record.crate,
        object: record.object,
        jobDir: record.jobDir,
        crateDigest: record.crateDigest,
        jobId: record.id,
        ...(record.maxRestarts !== undefined ? { maxRestarts: record.maxRestarts } : {}),
      };
  const command = runnerCommand({
    imports: record.imports,
    ...target,
    share: settings.share,
    ...(settings.nodePath ? { nodePath: settings.nodePath } : {}),
    ...(settings.runnerPath ? { runnerPath: settings.runnerPath } : {}),
  });
  // execa's types accept file descriptors only as number literals, hence the casts.
  const stdout = openLog(paths.schedulerStdout, settings.modes.file) as 1;
  let stderr: 2;
  try {
    stderr = openLog(paths.schedulerStderr, settings.modes.file) as 2;
  } catch (error) {
    closeSync(stdout);
    throw error;
  }
  try {
    return execa(command.file, command.args, {
      cwd: record.jobDir,
      // A retried process of a batch runs under its task's id, as it first did.
      env: { ...record.env, HPC_JOB_ID: record.batch?.taskId ?? record.id },
      stdin: 'ignore',
      stdout,
      stderr,
      detached: true,
      cleanup: false,
      reject: false,
    });
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

function openLog(file: string, mode: number): number {
  try {
    return openForAppend(file, mode);
  } catch (error) {
    throw asFileWriteError(error, file, 'create the log');
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
