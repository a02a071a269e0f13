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
export { type ExecuteOptions, JobContainer, type JobContainerOptions } from './job-container.ts';
export {
  JOB_FILES,
  type JobPaths,
  type JobRecord,
  type JobRecordCommon,
  jobPaths,
  type ReadRecordOptions,
  type RecordUnreadable,
  readJobLog,
  readOutcome,
  readRecordFile,
  readRecordFileSync,
  readResult,
  tailFile,
  type WriteRecordOptions,
  writeOutcome,
  writeRecordFile,
} from './job-folder/index.ts';
export { resultOrFailure } from './job-result.ts';
export { loadCrate } from './load-crate.ts';
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
