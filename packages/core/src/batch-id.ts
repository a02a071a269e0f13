import { asJobId, type JobId } from './job-id.ts';

/**
 * Ids of the processes of a batch. With one process per task a process's id is its task's own
 * scheduler id: SLURM's `<array>_<task>` ('4711_3'), the local driver's 'local-12_3'. A process
 * packed into a task adds its place in the task: '4711_3+2' is the third process of task 3. The
 * task part is what the scheduler knows; `+` never occurs in SLURM's ids.
 */
export const BATCH_PROCESS_SEPARATOR = '+';

/** The id of task `task` of the array (or local batch) `arrayId`. */
export function batchTaskId(arrayId: string, task: number): JobId {
  return asJobId(`${arrayId}_${task}`);
}

/** A process's id: its task's id, plus its place in the task when tasks are packed. */
export function batchProcessId(taskId: string, place: number | undefined): JobId {
  return asJobId(place === undefined ? taskId : `${taskId}${BATCH_PROCESS_SEPARATOR}${place}`);
}

/** The scheduler's id of the task that runs a process ('4711_3+2' -> '4711_3'); other ids unchanged. */
export function batchTaskOf(id: string): string {
  const at = id.indexOf(BATCH_PROCESS_SEPARATOR);
  return at < 0 ? id : id.slice(0, at);
}
