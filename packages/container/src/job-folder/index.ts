/**
 * The job-folder protocol: what a job folder holds and how to read and write it, for the
 * container (on the compute node), both drivers and the CLI. Nothing else spells a file name.
 */

export { archiveAttemptFiles } from './attempt-files.ts';
export { isProcessCancelRequested, requestProcessCancel } from './batch-cancel.ts';
export {
  BATCH_FILES,
  type BatchPaths,
  batchPaths,
  processDirOf,
  processesOfTask,
  taskCountOf,
  taskOfProcess,
} from './batch-files.ts';
export {
  BATCH_MANIFEST_VERSION,
  type BatchManifest,
  readBatchManifest,
  writeBatchManifest,
} from './batch-manifest.ts';
export {
  CHECKPOINT_RECORD_VERSION,
  type CheckpointRecord,
  checkpointCratePath,
  commitCheckpoint,
  readCheckpointRecord,
} from './checkpoint-record.ts';
export { tailFile } from './file-tail.ts';
export { type ForgetSteps, forgetPlanned, upstreamsOf } from './forget-folders.ts';
export { JOB_FILES, type JobPaths, jobPaths } from './job-files.ts';
export {
  attemptLogFiles,
  attemptLogHeader,
  jobLogFile,
  processLogFile,
  readAttemptLogs,
  readJobLog,
  readLogFile,
  readProcessLog,
} from './job-log.ts';
export {
  type JobRecord,
  type JobRecordCommon,
  type ReadRecordOptions,
  type RecordUnreadable,
  readRecordFile,
  readRecordFileSync,
  type WriteRecordOptions,
  writeRecordFile,
} from './job-record.ts';
export { readOutcome, readResult, writeOutcome } from './outcome-files.ts';
