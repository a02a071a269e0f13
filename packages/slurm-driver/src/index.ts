export {
  type CommandResult,
  type CommandRunner,
  type CommandRunnerOptions,
  createCommandRunner,
  isUnreachableMessage,
  type RunOptions,
} from './command-runner.ts';
export {
  InvalidJobSettingError,
  type InvalidSettingProblem,
  SchedulerCommandError,
  SchedulerUnavailableError,
  SubmissionRefusedError,
  type UnavailableReason,
} from './errors.ts';
export { JobStore, type StateUpdate, type StoredJob } from './job-store.ts';
export { parseSacct, SACCT_FIELDS, sacctArgs } from './sacct-parse.ts';
export {
  hasControlCharacter,
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
  parseSbatchJobId,
  SLURMDriver,
  type SLURMDriverOptions,
  type SLURMSubmitOptions,
} from './slurm-driver.ts';
export { mapSlurmState, parseExitCode, type SlurmJobReport } from './slurm-state.ts';
export { parseSqueue, SQUEUE_FORMAT, slurmTime, squeueArgs } from './squeue-parse.ts';
export {
  decisiveOutcomeState,
  type PollStats,
  StatusPoller,
  type StatusPollerOptions,
} from './status-poller.ts';
