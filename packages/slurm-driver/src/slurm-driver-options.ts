import type { RetryPolicy, Sharing } from '@hpc/core';
import type { CommandRunner } from './command-runner.ts';
import type { SLURMSubmitOptions } from './job-preparation.ts';
import type { SchedulerBudgetOptions } from './scheduler-budget.ts';
import type { StatusPollerOptions } from './status-poller.ts';
import type { ReconcileOptions } from './submission-reconcile.ts';

/** How a SLURMDriver is set up: where its state lives, how it calls SLURM, what every job gets. */
export interface SLURMDriverOptions {
  /** State folder (default $HPC_HOME or ~/.hpc). Job folders go to <home>/slurm/jobs. */
  home?: string;
  /** Where job folders are created; must be visible to the compute nodes (default <home>/slurm/jobs). */
  jobsRoot?: string;
  /**
   * The job index, a per-host SQLite cache of the job folders (default: a file in this host's
   * `$TMPDIR/hpc-<uid>/`, named by host and home). The folders are the record: it is rebuilt from
   * them when missing or corrupt. Keep it on a local file system (WAL); on a network one it uses the
   * rollback journal and must still be used from one host only.
   */
  storePath?: string;
  /** Who may read job folders and files: private (0700/0600, the default, or $HPC_SHARE) or 'group'. */
  share?: Sharing;
  /** Settling submissions whose sbatch never answered (killed, timed out): when to look them up and drop them. */
  reconcile?: Omit<ReconcileOptions, 'commandTimeoutMs'>;
  /** Runs SLURM's commands (default: execa, commandTimeoutMs each). Wrap it to observe or count calls. */
  run?: CommandRunner;
  /** Time limit of each SLURM command (default 30 s). */
  commandTimeoutMs?: number;
  /** Folder of SLURM's commands (default: PATH). */
  binDir?: string;
  /** Node binary on the compute nodes (default: this process's). */
  nodePath?: string;
  /** The node-runner script (default: @hpc/runner's runner bundle, dist/node-runner.mjs). */
  runnerPath?: string;
  /** Files that define `module` on the nodes (default: Lmod's usual places). */
  lmodInit?: string[];
  /** Options applied to every submit (per-submit options win; slurmArgs and env are merged). */
  defaults?: SLURMSubmitOptions;
  /** Retries of every submitJob() without its own `retry` (attempt-retries.ts). */
  retry?: RetryPolicy;
  /** sbatch processes at once when submitJob() is called concurrently (default 4). */
  maxConcurrentSubmissions?: number;
  /**
   * One budget for every scheduler call of this driver (submit, poll, cancel, lookups): a token
   * bucket, default DEFAULT_SCHEDULER_BUDGET (20 at once, then 1.5 per second); false: none.
   * The calls it let through are counted in `driver.schedulerCalls`.
   */
  schedulerBudget?: SchedulerBudgetOptions | false;
  /** Status polling: minimum interval, accounting on/off, grace periods. */
  polling?: Omit<StatusPollerOptions, 'commandTimeoutMs'>;
}
