import { type PartitionLimits, parsePartitions, parseScontrolConfig } from './cluster-config.ts';
import type { CommandRunner } from './command-runner.ts';
import { SchedulerCommandError } from './errors.ts';

/**
 * The partitions' limits (`scontrol show partition --oneliner`) and the cluster's DefMemPerCPU
 * (`scontrol show config`), each read once, when a retry first needs them, and kept for the
 * driver's life. A failed read is not kept: the next retry asks again.
 */
export class PartitionLimitsReader {
  private partitions: Promise<PartitionLimits[]> | undefined;
  private defMemPerCpu: Promise<number | undefined> | undefined;

  constructor(
    private readonly run: CommandRunner,
    private readonly timeoutMs?: number,
  ) {}

  /** The named partition (the first of a comma list), or the default one. */
  async partition(name: string | undefined): Promise<PartitionLimits | undefined> {
    this.partitions ??= this.ask(['show', 'partition', '--oneliner'])
      .then(parsePartitions)
      .catch((error: unknown) => {
        this.partitions = undefined;
        throw error;
      });
    const all = await this.partitions;
    const wanted = name?.split(',')[0]?.trim();
    return wanted ? all.find((p) => p.name === wanted) : all.find((p) => p.isDefault);
  }

  /** DefMemPerCPU in MiB (what a job without --mem gets per CPU), when the cluster sets one. */
  async defaultMemPerCpuMiB(): Promise<number | undefined> {
    this.defMemPerCpu ??= this.ask(['show', 'config'])
      .then((text) => {
        const value = parseScontrolConfig(text).get('DefMemPerCPU');
        return value && /^\d+$/.test(value) ? Number(value) : undefined;
      })
      .catch((error: unknown) => {
        this.defMemPerCpu = undefined;
        throw error;
      });
    return this.defMemPerCpu;
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
