import { type ClusterLimits, clusterLimits } from './cluster-config.ts';
import type { CommandRunner } from './command-runner.ts';
import { SchedulerCommandError } from './errors.ts';

/**
 * The cluster's array and queue limits, read with one `scontrol show config` the first time a
 * batch is submitted and kept for the driver's life (they change only when the controller is
 * reconfigured). A failed read is not kept: the next batch asks again.
 */
export class ClusterLimitsReader {
  private limits: Promise<ClusterLimits> | undefined;

  constructor(
    private readonly run: CommandRunner,
    private readonly timeoutMs?: number,
  ) {}

  read(): Promise<ClusterLimits> {
    this.limits ??= this.ask().catch((error: unknown) => {
      this.limits = undefined;
      throw error;
    });
    return this.limits;
  }

  private async ask(): Promise<ClusterLimits> {
    const args = ['show', 'config'];
    const result = await this.run(
      'scontrol',
      args,
      this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs },
    );
    if (result.exitCode !== 0)
      throw new SchedulerCommandError('scontrol', args, result.exitCode, result.stderr);
    return clusterLimits(result.stdout);
  }
}
