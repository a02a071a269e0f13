// The public API of @hpc/slurm-driver: the driver, its options, its errors and the few helpers a
// user (or the CLI) needs. Everything else is internal; tests import it from ../src/<file>.ts.

export { BatchSubmissionError } from './batch-errors.ts';
export type { SLURMBatchOptions } from './batch-preparation.ts';
export {
  type CommandResult,
  type CommandRunner,
  type CommandRunnerOptions,
  createCommandRunner,
  type RunOptions,
} from './command-runner.ts';
export {
  InvalidJobSettingError,
  type InvalidSettingProblem,
  JobRecordError,
  JobStoreError,
  type JobStoreProblem,
  SchedulerCommandError,
  SchedulerUnavailableError,
  SubmissionInterruptedError,
  SubmissionRefusedError,
  type UnavailableReason,
} from './errors.ts';
export type { SLURMSubmitOptions } from './job-preparation.ts';
export { JOB_RECORD_VERSION, type JobRecord, readJobRecord } from './job-record.ts';
export type { SlurmArgs, SlurmArgValue } from './sbatch-options.ts';
export { DEFAULT_LMOD_INIT, SETUP_FAILED_EXIT_CODE, SLURM_JOB_FILES } from './sbatch-script.ts';
export {
  budgetedRunner,
  DEFAULT_SCHEDULER_BUDGET,
  SchedulerBudget,
  type SchedulerBudgetOptions,
  type SchedulerCallCounts,
} from './scheduler-budget.ts';
export { shellQuote } from './shell-quote.ts';
export { isSlurmAvailable } from './slurm-available.ts';
export { SLURMDriver, type SLURMDriverOptions } from './slurm-driver.ts';
export type { PollStats, StatusPollerOptions } from './status-poller.ts';
export { defaultJobsRoot, defaultStorePath } from './store-location.ts';
export type { ReconcileOptions, ReconcileReport } from './submission-reconcile.ts';
