export {
  type AtomicWriteContent,
  type AtomicWriteOptions,
  type ContentWriter,
  type PositionalWrite,
  syncFolder,
  writeFileAtomic,
} from './atomic-write.ts';
export {
  BATCH_PROCESS_SEPARATOR,
  batchProcessId,
  batchTaskId,
  batchTaskOf,
} from './batch-id.ts';
export { formatBytes } from './byte-size.ts';
export {
  checkpointLeadSeconds,
  DEFAULT_CHECKPOINT_LEAD_SECONDS,
  MAX_CHECKPOINT_LEAD_FRACTION,
  SHORT_LIMIT_LEAD_FRACTION,
  SHORT_LIMIT_LEAD_SECONDS,
  SIGNAL_EARLY_DELIVERY_SECONDS,
} from './checkpoint-lead.ts';
export {
  type CrateDigest,
  type CrateDigester,
  crateDigestOf,
  createCrateDigester,
  createCrateHash,
  isCrateDigest,
  SMALL_DIGEST_BYTES,
} from './crate-digest.ts';
export {
  blockedState,
  DEPENDENCY_KINDS,
  type DependencyEdge,
  type DependencyKind,
  type DependencySettlement,
  normalizeAfterEach,
  normalizeDependencies,
  refuseUnknownUpstreams,
  SLURM_DEPENDENCY_TYPE,
  satisfiedBy,
  settleDependencies,
} from './dependency-options.ts';
export type {
  BatchOptions,
  BatchResult,
  CrateRef,
  Driver,
  LogOptions,
  SubmitOptions,
  TrackedJob,
  WaitOptions,
} from './driver.ts';
export { HpcError, type HpcErrorOptions, type HpcErrorTag, type HpcErrorTags, isHpcError } from './errors.ts';
export { type DiagnosisInput, diagnoseFailure, type RequestedResources } from './failure-diagnosis.ts';
export {
  FILE_MODES,
  type FileModes,
  fileModes,
  makeDirectory,
  resolveSharing,
  type Sharing,
} from './file-modes.ts';
export { asFileWriteError, describeErrno, errnoCode, FileWriteError } from './file-write-error.ts';
export {
  type ForgetOptions,
  type ForgetPlan,
  type ForgetRefusal,
  type ForgetRefusalReason,
  type ForgetReport,
  type ForgetRow,
  type ForgottenJob,
  planForget,
} from './forget-jobs.ts';
export { hpcHome } from './hpc-home.ts';
export {
  failureClassOf,
  type JobDescription,
  type JobLogTail,
  type JobPhase,
  jobHistory,
} from './job-description.ts';
export {
  type CpuEfficiency,
  type EfficiencyInput,
  type FigureSource,
  type JobEfficiency,
  jobEfficiency,
  type MemoryEfficiency,
  type TimeEfficiency,
} from './job-efficiency.ts';
export {
  InvalidJobSettingError,
  type InvalidSettingProblem,
  type JobFailedDetails,
  JobFailedError,
  JobNotFinishedError,
  JobNotFoundError,
  WaitTimeoutError,
} from './job-errors.ts';
export { asJobId, type JobId } from './job-id.ts';
export {
  type CleanCandidate,
  type CleanChoice,
  type CleanSelection,
  globToRegExp,
  type KeptReason,
  parseDuration,
  selectJobsToClean,
} from './job-selection.ts';
export {
  describeJobState,
  describeRunAgainstLimit,
  type FailureCause,
  formatRunTime,
  isTerminalState,
  JOB_STATUSES,
  type JobState,
  type JobStateDetails,
  type JobStatus,
  type UnreadableRecord,
} from './job-state.ts';
export {
  computeJobStats,
  type JobStats,
  type JobStatsInput,
  type JobStatsOptions,
  type Percentiles,
  type ProcessClassStats,
  percentiles,
  type ResourceSuggestion,
} from './job-stats.ts';
export {
  type AttemptCause,
  type AttemptMechanism,
  type CheckpointNote,
  DEFAULT_MAX_RESTARTS,
  describeAttempt,
  describeRestart,
  type JobAttempt,
  type JobDependencies,
  RESTART_EXIT_CODE,
  RETRY_CAUSES,
  type RetryCause,
  type RetryPolicy,
} from './long-jobs.ts';
export {
  refuseSubmitDuringImport,
  SubmitDuringImportError,
  whileImportingJobModules,
} from './module-import-guard.ts';
export {
  describeValue,
  InternalError,
  type InvalidOptionDetails,
  InvalidOptionError,
} from './option-errors.ts';
export { formatRemoteError, type RemoteError, toRemoteError } from './remote-error.ts';
export { parseMemoryRequest, requestedResourcesOf } from './requested-resources.ts';
export {
  checkRetryPolicy,
  decideRetry,
  type RetryDecision,
  retryCauseOf,
} from './retry-policy.ts';
export {
  exitCodeOf,
  type InfrastructureFailure,
  type JobProgress,
  RUN_OUTCOME_VERSION,
  type RunOutcome,
  type RunUsage,
} from './run-outcome.ts';
export {
  describeUnsafeCharacter,
  escapeUnsafeText,
  findUnsafeCharacter,
  type UnsafeCharacter,
} from './safe-text.ts';
export type { SchedulerUsage } from './scheduler-usage.ts';
export { parseSlurmTimeMs } from './slurm-time.ts';
export { sweepStaleTempFiles, tempFileName } from './stale-temp-files.ts';
export {
  applySuggestedResources,
  type ResourcesChoice,
  recordedRequestOf,
  type SuggestedOption,
  type SuggestedResource,
  type SuggestionCaps,
  type SuggestionInput,
  suggestedOptionsOf,
  suggestedRecordOf,
  withSuggestedRecord,
} from './suggested-resources.ts';
export {
  JobFileUnreadableError,
  JobUnreadableError,
  unreadableFileOf,
  unreadableJobState,
  unreadableRecordOf,
} from './unreadable-record.ts';
