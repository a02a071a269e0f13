import {
  type ClusterLimits,
  clusterLimits,
  type PartitionLimits,
  parsePartitions,
  parseScontrolConfig,
} from './cluster-config.ts';
import type { CommandRunner } from './command-runner.ts';
import { SchedulerCommandError } from './errors.ts';

/**
 * What the cluster allows, read from `scontrol` when first needed and kept for the driver's life
 * (it changes only when the controller is reconfigured): the array and queue limits and
 * DefMemPerCPU from one `scontrol show config` (batches and retries share it), the partitions'
 * limits from one `scontrol show partition --oneliner` (retries). A failed read is not kept: the
 * next caller asks again.
 */
export class ClusterLimitsReader {
  private readonly config = rememberSuccess(() => this.ask(['show', 'config']));
  private readonly partitions = rememberSuccess(async () =>
    parsePartitions(await this.ask(['show', 'partition', '--oneliner'])),
  );

  constructor(
    private readonly run: CommandRunner,
    private readonly timeoutMs?: number,
  ) {}

  async read(): Promise<ClusterLimits> {
    return clusterLimits(await this.config());
  }

  /** The named partition (the first of a comma list), or the default one. */
  async partition(name: string | undefined): Promise<PartitionLimits | undefined> {
    const all = await this.partitions();
    const wanted = name?.split(',')[0]?.trim();
    return wanted ? all.find((p) => p.name === wanted) : all.find((p) => p.isDefault);
  }

  /** DefMemPerCPU in MiB (what a job without --mem gets per CPU), when the cluster sets one. */
  async defaultMemPerCpuMiB(): Promise<number | undefined> {
    const value = parseScontrolConfig(await this.config()).get('DefMemPerCPU');
    return value && /^\d+$/.test(value) ? Number(value) : undefined;
  }

  private async ask(args: string[]): Promise<string> {
    const result = await this.run(
      'scontrol',
      args,
      this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs },
    );
    if (result.exitCode !== 0)
      throw new SchedulerCommandError('scontrol', args, result.exitCode, result.stderr);
    return result.stdout;
  }
}

/** `load` run once and its answer kept; a failure is not kept, so the next call tries again. */
function rememberSuccess<T>(load: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | undefined;
  return () => {
    answer ??= load().catch((error: unknown) => {
      answer = undefined;
      throw error;
    });
    return answer;
  };
}
