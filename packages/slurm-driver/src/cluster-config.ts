/**
 * The cluster limits a batch submission must respect, read once from `scontrol show config` and
 * `scontrol show partition -o` text (both `Key=Value` / `Key = Value` lists).
 */

/** What `scontrol show config` says about array and queue sizes. */
export interface ClusterLimits {
  /** Largest task index + 1 an array may have (`MaxArraySize`; SLURM's default is 1001). */
  maxArraySize: number;
  /** Most jobs the controller holds at once, array tasks included (`MaxJobCount`; default 10000). */
  maxJobCount: number;
}

/** SLURM's own defaults, used for a key the text does not carry. */
export const SLURM_DEFAULT_LIMITS: ClusterLimits = { maxArraySize: 1001, maxJobCount: 10_000 };

/** `scontrol show config` lines (`MaxArraySize           = 1001`) as a key → value map. */
export function parseScontrolConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z][\w]*)\s*=\s*(.*)$/.exec(line.trim());
    if (match) values.set(match[1] as string, (match[2] as string).trim());
  }
  return values;
}

/** The array and queue limits from `scontrol show config` text. */
export function clusterLimits(configText: string): ClusterLimits {
  const config = parseScontrolConfig(configText);
  return {
    maxArraySize: positiveInteger(config.get('MaxArraySize')) ?? SLURM_DEFAULT_LIMITS.maxArraySize,
    maxJobCount: positiveInteger(config.get('MaxJobCount')) ?? SLURM_DEFAULT_LIMITS.maxJobCount,
  };
}

/** One partition's limits from `scontrol show partition -o` (undefined = unlimited or not set). */
export interface PartitionLimits {
  name: string;
  isDefault: boolean;
  /** MaxTime in minutes. */
  maxTimeMinutes?: number;
  /** MaxMemPerNode in MiB. */
  maxMemPerNodeMiB?: number;
  /** The most memory any one node of the partition has, from TRES mem ÷ nodes when given. */
  totalMemMiB?: number;
  totalNodes?: number;
  totalCpus?: number;
  preemptMode?: string;
}

/** Every partition in `scontrol show partition -o` text (one partition per line). */
export function parsePartitions(text: string): PartitionLimits[] {
  const partitions: PartitionLimits[] = [];
  for (const line of text.split('\n')) {
    const fields = new Map<string, string>();
    for (const match of line.matchAll(/(\w+)=(\S*)/g)) fields.set(match[1] as string, match[2] as string);
    const name = fields.get('PartitionName');
    if (!name) continue;
    const partition: PartitionLimits = { name, isDefault: fields.get('Default') === 'YES' };
    const maxTime = slurmMinutes(fields.get('MaxTime'));
    if (maxTime !== undefined) partition.maxTimeMinutes = maxTime;
    const maxMem = positiveInteger(fields.get('MaxMemPerNode'));
    if (maxMem !== undefined) partition.maxMemPerNodeMiB = maxMem;
    const tresMem = /(?:^|,)mem=(\d+(?:\.\d+)?)([KMGT])?/.exec(fields.get('TRES') ?? '');
    if (tresMem)
      partition.totalMemMiB = Math.round(Number(tresMem[1]) * (MIB_PER_UNIT[tresMem[2] ?? 'M'] ?? 1));
    const nodes = positiveInteger(fields.get('TotalNodes'));
    if (nodes !== undefined) partition.totalNodes = nodes;
    const cpus = positiveInteger(fields.get('TotalCPUs'));
    if (cpus !== undefined) partition.totalCpus = cpus;
    const preempt = fields.get('PreemptMode');
    if (preempt) partition.preemptMode = preempt;
    partitions.push(partition);
  }
  return partitions;
}

const MIB_PER_UNIT: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 };

/**
 * SLURM's time limit text in whole minutes: `30`, `1:00:00`, `2-00:00:00`, `1-12`; undefined for
 * `UNLIMITED`, `INFINITE`, `NONE` and anything else it cannot read.
 */
export function slurmMinutes(text: string | undefined): number | undefined {
  const value = text?.trim() ?? '';
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value);
  if (!match) return undefined;
  const [, days, a = '0', b, c] = match;
  const d = Number(days ?? 0);
  // SLURM: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S".
  let minutes: number;
  if (days !== undefined) minutes = d * 1440 + Number(a) * 60 + Number(b ?? 0) + Number(c ?? 0) / 60;
  else if (c !== undefined) minutes = Number(a) * 60 + Number(b) + Number(c) / 60;
  else minutes = Number(a) + Number(b ?? 0) / 60;
  return Math.ceil(minutes);
}

function positiveInteger(text: string | undefined): number | undefined {
  if (!text || !/^\d+$/.test(text.trim())) return undefined;
  const value = Number(text.trim());
  return value > 0 ? value : undefined;
}
