export { parseSlurmTimeMs } from '@hpc/core';
export { JobRecordUnreadableError, type LocalJobRecord } from './job-record.ts';
export { defaultLocalRoot, LocalDriver, type LocalDriverOptions } from './local-driver.ts';
export { localJobState } from './local-state.ts';
