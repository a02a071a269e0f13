export { digestOfFile, verifyCrate } from './crate-copy.ts';
export {
  CrateChangedError,
  ExitCalledError,
  InterruptedError,
  MissingModuleError,
  NotAProcessError,
  ObjectPathRequiredError,
  OutcomeUnreadableError,
} from './errors.ts';
export { classifyLoadError, stoppedAtTimeLimitWarning } from './failure-reasons.ts';
export { openForAppend } from './file-open.ts';
export { tailFile } from './file-tail.ts';
export { type ExecuteOptions, JobContainer, type JobContainerOptions } from './job-container.ts';
export { readJobLog } from './job-log.ts';
export { type JobPaths, jobPaths } from './job-paths.ts';
export { resultOrFailure } from './job-result.ts';
export { loadCrate } from './load-crate.ts';
export { readOutcome, readResult, writeOutcome } from './outcome-files.ts';
export { stateFromOutcome } from './outcome-state.ts';
export {
  resolveImports,
  type StagedJob,
  type StageOptions,
  type SubmitTarget,
  stageJob,
} from './stage-job.ts';
export { type CheckedSubmitOptions, checkSettingText, validateSubmitOptions } from './submit-settings.ts';
export { waitForTerminalState } from './wait-for-job.ts';
