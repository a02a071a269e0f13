import { writeOutcome } from '@hpc/container';
import { fileModes, RESTART_EXIT_CODE, type RunOutcome, type Sharing } from '@hpc/core';

/** How long `scontrol requeue` may take on the node before the driver is left to do it. */
const REQUEUE_TIMEOUT_MS = 15_000;

/**
 * After a run saved its checkpoint at the time-limit warning: requeue the job from the node
 * (`scontrol requeue $SLURM_JOB_ID`, mechanism 'node-requeue') when asked to and scontrol works
 * there; otherwise exit with RESTART_EXIT_CODE (75) and the driver requeues it from the login side
 * ('driver-requeue'). The outcome says which, written before scontrol runs: SLURM kills the job
 * once the requeue is accepted. A preempted run (SIGTERM) is requeued by SLURM itself.
 */
export async function requeueAfterCheckpoint(
  outcome: RunOutcome,
  jobDir: string,
  options: { nodeRequeue: boolean; share: Sharing | undefined },
): Promise<number> {
  const note = outcome.checkpoint;
  if (!note?.saved || note.requeue === 'scheduler-requeue') return RESTART_EXIT_CODE;
  const slurmJobId = process.env.SLURM_JOB_ID;
  if (!options.nodeRequeue || !slurmJobId) return RESTART_EXIT_CODE;
  const mode = fileModes(options.share).file;
  await writeOutcome(jobDir, { ...outcome, checkpoint: { ...note, requeue: 'node-requeue' } }, mode);
  const problem = await scontrolRequeue(slurmJobId);
  if (problem === undefined) return RESTART_EXIT_CODE;
  process.stderr.write(
    `node-runner: scontrol requeue ${slurmJobId} did not work on this node (${problem}); exiting with ${RESTART_EXIT_CODE} so the driver requeues the job\n`,
  );
  await writeOutcome(jobDir, outcome, mode);
  return RESTART_EXIT_CODE;
}

/**
 * undefined when scontrol accepted the requeue, else what went wrong. node:child_process is
 * imported only here: loading it (with net, dgram...) at the runner's start cost every task ~2 ms.
 */
async function scontrolRequeue(jobId: string): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('scontrol', ['requeue', jobId], { timeout: REQUEUE_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) resolve(undefined);
      else resolve(String(stderr).trim() || error.message);
    });
  });
}
