import { HpcError } from './errors.ts';

/**
 * The node-runner imports a job's modules to register its classes. A module that submits jobs at
 * its top level (the class and `await driver.submitJob(new X())` in one file) would then submit a
 * new job from inside every job: an unbounded chain of jobs. While the runner imports, submitting is
 * refused. A global symbol, so the user's own copy of a driver package sees the runner's mark.
 */
const IMPORTING_JOB_MODULES = Symbol.for('@hpc/importing-job-modules');

type Marked = { [IMPORTING_JOB_MODULES]?: string };

/** Runs `work` (the imports of job `jobId`'s modules) with submitting refused. */
export async function whileImportingJobModules<T>(jobId: string, work: () => Promise<T>): Promise<T> {
  const global = globalThis as Marked;
  global[IMPORTING_JOB_MODULES] = jobId;
  try {
    return await work();
  } finally {
    delete global[IMPORTING_JOB_MODULES];
  }
}

/** Throws SubmitDuringImportError when called while the node-runner imports a job's modules. */
export function refuseSubmitDuringImport(): void {
  const jobId = (globalThis as Marked)[IMPORTING_JOB_MODULES];
  if (jobId !== undefined) throw new SubmitDuringImportError(jobId);
}

/** A job's module submitted a job while the node-runner imported it (see whileImportingJobModules). */
export class SubmitDuringImportError extends HpcError {
  readonly _tag = 'SubmitDuringImportError';
  constructor(readonly jobId: string) {
    super(
      `a module of job ${jobId} submitted a job while the node-runner imported it to find its classes: ` +
        'a module that submits at its top level would submit again from every job. Keep the classes in ' +
        'their own module and submit from another file (or only under `if (import.meta.main)`)',
    );
  }
}
