// The current directory while run() executes: its work folder (where a thread allows it).

/** Back to the folder execute() started in; one removed meanwhile is no failure of the job. */
export function returnTo(folder: string): void {
  try {
    changeDirectory(folder);
  } catch {
    // The folder is gone (e.g. the job folder was deleted while the job ran): stay where we are.
  }
}

/**
 * chdir, except in a worker thread, which has no directory of its own (ERR_WORKER_UNSUPPORTED_OPERATION).
 * Asked this way rather than through worker_threads' isMainThread: loading that module costs a
 * short job ~1 ms of start-up.
 */
export function changeDirectory(folder: string): void {
  try {
    process.chdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_UNSUPPORTED_OPERATION') throw error;
  }
}
