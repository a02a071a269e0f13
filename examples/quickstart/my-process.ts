import { Process, type RunContext, registerProcess } from '@hpc/process';

/** The README's example: a user's task with its data as fields. */
export class MyProcess extends Process<{ n: number; mean: number; max: number }> {
  constructor(
    public data = 'Sample Data',
    public values = new Float64Array(0),
  ) {
    super();
  }

  async run(ctx: RunContext) {
    console.log('Process running', this.data);
    let sum = 0;
    let max = Number.NEGATIVE_INFINITY;
    const step = Math.max(1, Math.ceil(this.values.length / 4));
    for (let start = 0; start < this.values.length; start += step) {
      ctx.signal.throwIfAborted();
      for (const value of this.values.subarray(start, start + step)) {
        sum += value;
        if (value > max) max = value;
      }
      ctx.logger.info(
        `processed ${Math.min(start + step, this.values.length)} of ${this.values.length} values`,
      );
    }
    return { n: this.values.length, mean: sum / this.values.length, max };
  }
}
registerProcess(MyProcess, { module: import.meta.url });
