export { parseSlurmTimeMs } from '@hpc/core';
export { LocalHostError } from './host-control.ts';
export { LocalJobHost } from './job-host.ts';
export { JobRecordUnreadableError, type LocalJobRecord, type LocalRecordFields } from './job-record.ts';
export { defaultLocalRoot, LocalDriver, type LocalDriverOptions } from './local-driver.ts';
export { localJobState } from './local-state.ts';
