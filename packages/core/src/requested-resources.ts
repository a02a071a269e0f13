import type { RequestedResources } from './failure-diagnosis.ts';
import { parseSlurmTimeMs } from './slurm-time.ts';

const MEMORY_UNITS: Readonly<Record<string, number>> = {
  K: 1024,
  M: 1024 ** 2,
  G: 1024 ** 3,
  T: 1024 ** 4,
};

/** sbatch's --mem / --mem-per-cpu value in bytes: '4G', '500M', '2048' (megabytes, sbatch's default unit). */
export function parseMemoryRequest(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT])?B?$/i.exec(text.trim());
  if (!match) return undefined;
  const [, number = '', unit = 'M'] = match;
  return Math.round(Number(number) * (MEMORY_UNITS[unit.toUpperCase()] ?? 1024 ** 2));
}

/**
 * What a job asked for, from its sbatch options by long name ('cpus-per-task', 'mem',
 * 'mem-per-cpu', 'time'); what it did not say is left out (the site's default applies).
 */
export function requestedResourcesOf(
  slurmArgs: Readonly<Record<string, string | number | boolean | undefined>> | undefined,
): RequestedResources {
  const text = (key: string) => {
    const value = slurmArgs?.[key];
    return value === undefined || typeof value === 'boolean' ? undefined : String(value);
  };
  const requested: RequestedResources = {};
  const cpusText = text('cpus-per-task');
  if (cpusText !== undefined && /^\d+$/.test(cpusText.trim()) && Number(cpusText) > 0)
    requested.cpus = Number(cpusText);
  const mem = text('mem');
  const memPerCpu = text('mem-per-cpu');
  const memBytes =
    mem !== undefined
      ? parseMemoryRequest(mem)
      : memPerCpu !== undefined
        ? (parseMemoryRequest(memPerCpu) ?? Number.NaN) * (requested.cpus ?? 1)
        : undefined;
  // --mem=0 means "all of the node's memory": no figure to compare with.
  if (memBytes !== undefined && Number.isFinite(memBytes) && memBytes > 0) requested.memBytes = memBytes;
  const time = text('time');
  if (time !== undefined) {
    try {
      const limit = parseSlurmTimeMs(time);
      if (limit !== undefined && limit > 0) requested.timeLimitMs = limit;
    } catch {
      // sbatch refuses it before anything runs; nothing to record
    }
  }
  return requested;
}
