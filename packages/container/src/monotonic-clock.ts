/**
 * Milliseconds on a monotonic clock, for durations. Not `performance.now()`: the `performance`
 * global loads perf_hooks (about ten modules, ~1.5 ms of a trivial task's start in the node-runner).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
