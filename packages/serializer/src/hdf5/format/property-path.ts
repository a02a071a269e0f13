import type { StoredTypedArray } from '../../typed-arrays.ts';
import { InvalidArgumentError } from '../hdf5-errors.ts';

/** The crate and object a path is looked up in, named by the error for a bad path. */
export interface PathContext {
  file: string;
  objectPath: string | undefined;
}

/** Where a typed array sits inside a stored object: 'values', 'fit.samples[2]', or ['fit', 'samples', 2]. */
export type PropertyPath = string | readonly (string | number)[];

export function parsePropertyPath(path: PropertyPath, at: PathContext): (string | number)[] {
  if (typeof path !== 'string') return [...path];
  const steps: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  let match: RegExpExecArray | null;
  let consumed = 0;
  // biome-ignore lint/suspicious/noAssignInExpressions: the usual exec loop.
  while ((match = pattern.exec(path)) !== null) {
    const between = path.slice(consumed, match.index);
    if (between !== '' && between !== '.')
      throw new InvalidArgumentError(
        at.file,
        at.objectPath,
        `cannot parse property path ${JSON.stringify(path)} near ${JSON.stringify(between)}`,
      );
    if (match[1] !== undefined) steps.push(match[1]);
    else if (match[2] !== undefined) steps.push(Number(match[2]));
    else steps.push(JSON.parse(match[3] as string) as string);
    consumed = pattern.lastIndex;
  }
  if (consumed !== path.length || steps.length === 0)
    throw new InvalidArgumentError(
      at.file,
      at.objectPath,
      `cannot parse property path ${JSON.stringify(path)}`,
    );
  return steps;
}

/** Follows own properties, array indexes and Map keys only (no getters, no prototype lookups). */
export function resolvePropertyPath(
  root: unknown,
  steps: readonly (string | number)[],
  at: PathContext,
): StoredTypedArray {
  const where = at.objectPath === undefined ? at.file : `${at.file}:${at.objectPath}`;
  let node: unknown = root;
  const walked: string[] = [];
  for (const step of steps) {
    walked.push(typeof step === 'number' ? `[${step}]` : `.${step}`);
    if (node instanceof Map) node = node.has(step) ? node.get(step) : node.get(String(step));
    else if (Array.isArray(node) && typeof step === 'number') node = node[step];
    else if (typeof node === 'object' && node !== null && Object.hasOwn(node, step))
      node = (node as Record<string | number, unknown>)[step];
    else node = undefined;
    if (node === undefined)
      throw new InvalidArgumentError(at.file, at.objectPath, `${where} has nothing at ${walked.join('')}`);
  }
  if (!ArrayBuffer.isView(node) || node instanceof DataView)
    throw new InvalidArgumentError(
      at.file,
      at.objectPath,
      `${where}: ${walked.join('')} is not a typed array`,
    );
  return node as StoredTypedArray;
}
