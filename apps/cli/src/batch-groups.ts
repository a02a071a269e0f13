/**
 * Which batch a process id belongs to. A batch's processes are tasks of one job array, so their
 * ids are `<array>_<task>` or `<array>_<task>+<place>` ('4711_3', '4711_3+2', 'local-12_3'): the
 * batch is the array id, the part before the first '_'. A plain job ('4711', 'local-12') has none.
 * (A SLURM batch larger than MaxArraySize is several arrays, so several batch ids.)
 */
export function batchIdOf(id: string): string | undefined {
  const at = id.indexOf('_');
  return at > 0 ? id.slice(0, at) : undefined;
}

/** The distinct batch ids of these process ids, in first-seen order. */
export function batchIdsOf(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const id of ids) seen.add(batchIdOf(id) ?? id);
  return [...seen];
}

/** Items in groups: one per batch (its members in order) or one per plain job, in first-seen order. */
export function groupByBatch<T>(items: readonly T[], idOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const id = idOf(item);
    const key = batchIdOf(id) ?? id;
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * The tracked ids an id given on the command line stands for: itself when tracked, else every
 * process of the batch it names ('4711' -> '4711_0', '4711_1+3', ...), or of the packed task it
 * names ('4711_1' -> '4711_1+0', '4711_1+1', ...); [] when none.
 */
export function resolveBatchIds(
  id: string,
  tracked: Iterable<string>,
  has: (id: string) => boolean,
): string[] {
  if (has(id)) return [id];
  const prefix = batchIdOf(id) === undefined ? `${id}_` : `${id}+`;
  const members: string[] = [];
  for (const candidate of tracked) if (candidate.startsWith(prefix)) members.push(candidate);
  return members;
}
