export {
  type PollAll,
  pollingWaiters,
  resultsAsTheyFinish,
  terminalStates,
  waitForAll,
} from './batch-wait.ts';
export {
  type CheckpointRequest,
  checkpointForRestart,
  loadCheckpointed,
  type RestartSettings,
} from './checkpoint-save.ts';
export { digestOfFile, verifyCrate } from './crate-copy.ts';
export {
  BatchManifestError,
  BatchProcessError,
  BundleChangedError,
  CheckpointRecordError,
  CrateChangedError,
  ExitCalledError,
  InterruptedError,
  MissingModuleError,
  NotAProcessError,
  ObjectPathRequiredError,
  OutcomeUnreadableError,
} from './errors.ts';
export { classifyLoadError, savedForRestart, stoppedAtTimeLimitWarning } from './failure-reasons.ts';
export { openForAppend } from './file-open.ts';
export { type ExecuteOptions, JobContainer, type JobContainerOptions } from './job-container.ts';
export { type DescribeJobInput, describeJobFolder } from './job-description.ts';
export {
  archiveAttemptFiles,
  attemptLogFiles,
  attemptLogHeader,
  BATCH_FILES,
  BATCH_MANIFEST_VERSION,
  type BatchManifest,
  type BatchPaths,
  batchPaths,
  CHECKPOINT_RECORD_VERSION,
  type CheckpointRecord,
  type ForgetSteps,
  forgetPlanned,
  isProcessCancelRequested,
  JOB_FILES,
  type JobPaths,
  type JobRecord,
  type JobRecordCommon,
  jobLogFile,
  jobPaths,
  processDirOf,
  processesOfTask,
  processLogFile,
  type ReadRecordOptions,
  type RecordUnreadable,
  readAttemptLogs,
  readBatchManifest,
  readCheckpointRecord,
  readJobLog,
  readLogFile,
  readOutcome,
  readProcessLog,
  readRecordFile,
  readRecordFileSync,
  readResult,
  requestProcessCancel,
  tailFile,
  taskCountOf,
  taskOfProcess,
  upstreamsOf,
  type WriteRecordOptions,
  writeBatchManifest,
  writeOutcome,
  writeRecordFile,
} from './job-folder/index.ts';
export { resultOrFailure } from './job-result.ts';
export { loadCrate } from './load-crate.ts';
export { stateFromOutcome } from './outcome-state.ts';
export { PROGRESS_WRITE_INTERVAL_MS, ProgressWriter, readProgress } from './progress-writer.ts';
export {
  checkCount,
  MAX_BATCH_SIZE,
  type StageBatchOptions,
  type StagedBatch,
  stageBatch,
} from './stage-batch.ts';
export {
  resolveImports,
  type StagedJob,
  type StageOptions,
  type SubmitTarget,
  stageJob,
} from './stage-job.ts';
export {
  type CheckedSubmitOptions,
  checkSettingText,
  refuseBatchRestarts,
  validateSubmitOptions,
} from './submit-settings.ts';
export { type SuggestionSources, withSuggestedResources } from './suggested-settings.ts';
export { waitForTerminalState } from './wait-for-job.ts';
