export {
  type CommandResult,
  type CommandRunner,
  type CommandRunnerOptions,
  createCommandRunner,
  isAccountingDisabled,
  isUnreachableMessage,
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
export { slurmFilenamePattern } from './filename-pattern.ts';
export {
  JobPreparation,
  type PreparationOptions,
  type Prepared,
  type SLURMSubmitOptions,
} from './job-preparation.ts';
export { JOB_RECORD_VERSION, type JobRecord, parseJobRecord, readJobRecord } from './job-record.ts';
export { JobRegistry, type RegistryOptions, type Submission } from './job-registry.ts';
export { decideJobState, decisiveOutcomeState, type JobStateEvidence } from './job-state-policy.ts';
export {
  type FolderKind,
  JobStore,
  type StateUpdate,
  type StoredIntent,
  type StoredJob,
  type StoreOptions,
} from './job-store.ts';
export { parseSacct, SACCT_FIELDS, sacctArgs } from './sacct-parse.ts';
export { parseSbatchJobId, runSbatch, type SbatchAnswer } from './sbatch-answer.ts';
export {
  type OptionArity,
  RESERVED_OPTIONS,
  SBATCH_OPTIONS,
  type SbatchDirective,
  type SlurmArgs,
  type SlurmArgValue,
  validateSlurmArgs,
} from './sbatch-options.ts';
export {
  DEFAULT_LMOD_INIT,
  renderSbatchScript,
  type SbatchScriptSpec,
  SETUP_FAILED_EXIT_CODE,
  SLURM_JOB_FILES,
} from './sbatch-script.ts';
export { sbatchDirectiveQuote, shellQuote } from './shell-quote.ts';
export { isSlurmAvailable } from './slurm-available.ts';
export {
  SLURMDriver,
  type SLURMDriverOptions,
} from './slurm-driver.ts';
export { mapSlurmState, parseExitCode, type SlurmJobReport } from './slurm-state.ts';
export { parseSqueue, SQUEUE_FORMAT, slurmTime, squeueArgs } from './squeue-parse.ts';
export {
  type PollStats,
  StatusPoller,
  type StatusPollerOptions,
} from './status-poller.ts';
export { defaultJobsRoot, defaultStorePath, journalModeFor } from './store-location.ts';
export {
  findAccountedSubmissions,
  findQueuedSubmissions,
  LOOKUP_SACCT_FIELDS,
  LOOKUP_SQUEUE_FORMAT,
  lookupSacctArgs,
  lookupSqueueArgs,
  matchTokens,
  slurmLocalTime,
  type TokenMatch,
} from './submission-lookup.ts';
export {
  type ReconcileOptions,
  type ReconcileReport,
  SubmissionReconciler,
} from './submission-reconcile.ts';
