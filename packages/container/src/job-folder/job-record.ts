import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  asFileWriteError,
  errnoCode,
  fileModes,
  type JobState,
  type RequestedResources,
  writeFileAtomic,
} from '@hpc/core';
import { jobPaths } from './job-files.ts';

/**
 * What every driver's job record (job.json) holds, whatever the driver: the part the CLI and
 * other tools may read. A driver adds its own fields (JobRecord's second parameter).
 */
export interface JobRecordCommon {
  /** The driver that wrote the record ('local', 'slurm'). */
  driver: string;
  name: string;
  jobDir: string;
  /** The driver's job id, once it has one. */
  id?: string;
  submittedAt?: string;
  /** The staged crate and the object in it the runner loads. */
  crate?: string;
  object?: string | undefined;
  /** 'sha256:<hex>' of the crate as staged; the node-runner refuses a crate that differs. */
  crateDigest?: string;
  /** Modules the node-runner imports before loading the crate. */
  imports?: string[];
  /** The terminal state, written once the job is over, so nobody has to ask the scheduler again. */
  finalState?: JobState;
  /** What the job asked for (cpus, memory, time limit), from its submit options; absent: the site's defaults. */
  requested?: RequestedResources;
}

/** ONE type for job.json: the common part, named by its driver, plus that driver's own fields. */
export type JobRecord<Driver extends string = string, Own extends object = object> = JobRecordCommon & {
  driver: Driver;
} & Own;

/** How a driver names a record file it cannot read (its own error class, so its tags stay). */
export type RecordUnreadable = (file: string, detail: string, cause: unknown) => Error;

export interface ReadRecordOptions {
  /** errno codes that mean "no record here" (default ENOENT). */
  absent?: readonly string[];
}

/** job.json's text, or undefined when there is none; any other failure is `unreadable`'s error. */
export async function readRecordFile(
  jobDir: string,
  unreadable: RecordUnreadable,
  options: ReadRecordOptions = {},
): Promise<string | undefined> {
  const file = jobPaths(jobDir).record;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    return absentOrThrow(error, file, unreadable, options);
  }
}

/** readRecordFile, synchronously: reading thousands of records this way is 8 times faster. */
export function readRecordFileSync(
  jobDir: string,
  unreadable: RecordUnreadable,
  options: ReadRecordOptions = {},
): string | undefined {
  const file = jobPaths(jobDir).record;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return absentOrThrow(error, file, unreadable, options);
  }
}

function absentOrThrow(
  error: unknown,
  file: string,
  unreadable: RecordUnreadable,
  options: ReadRecordOptions,
): undefined {
  const code = errnoCode(error);
  if (code !== undefined && (options.absent ?? ['ENOENT']).includes(code)) return undefined;
  throw unreadable(file, (error as Error).message, error);
}

export interface WriteRecordOptions {
  /** File mode (job.json holds env values: private unless the driver shares with the group). */
  mode?: number;
  /** fsync before the rename: for a record that must survive a crash of the machine. */
  durable?: boolean;
}

/** Writes job.json atomically (in the record's jobDir); a failure is a FileWriteError naming it. */
export async function writeRecordFile(
  record: JobRecordCommon,
  options: WriteRecordOptions = {},
): Promise<void> {
  const file = jobPaths(record.jobDir).record;
  try {
    await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, {
      mode: options.mode ?? fileModes().file,
      durable: options.durable ?? false,
    });
  } catch (error) {
    throw asFileWriteError(error, file, 'write the job record');
  }
}
