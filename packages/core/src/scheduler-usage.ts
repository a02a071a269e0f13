/**
 * What the scheduler's accounting (SLURM's sacct) says a finished run used and was given. Kept
 * next to the node-runner's own RunUsage and labelled by its source: the two measure differently
 * (sacct samples every JobAcctGatherFrequency seconds and counts the job script's shell too).
 */
export interface SchedulerUsage {
  source: 'sacct';
  /** MaxRSS: the highest resident memory of any of the job's steps (the batch step's, usually). */
  maxRssBytes?: number;
  /** TotalCPU: user plus system CPU time of all the job's steps. */
  totalCpuMs?: number;
  /** ReqMem: the memory the job was given (per node). */
  reqMemBytes?: number;
  /** AllocCPUS: the CPUs the job was given. */
  allocCpus?: number;
  /** ElapsedRaw: wall time of the allocation. */
  elapsedMs?: number;
  /** Timelimit (undefined when unlimited). */
  timeLimitMs?: number;
  /** NodeList. */
  nodes?: string;
}
