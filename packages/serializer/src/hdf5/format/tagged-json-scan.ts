import { isTypedArrayName, type TypedArrayName } from './dtypes.ts';
import { TAG } from './tagged-json-format.ts';

/**
 * Before decoding: the structure text parsed, and one scan of it for what decoding needs (the
 * datasets it refers to, the classes it names). The decoding walk is tagged-json-decode.ts.
 */

/** The parsed structure text, and whether it can hold any tag at all. */
export interface ParsedStructure {
  value: unknown;
  /**
   * False when the text has no "$" anywhere: then it holds no tag, no reference and no dataset,
   * and the parsed JSON is already the value (plain data skips the decoding walk entirely).
   */
  tagged: boolean;
}

/**
 * Parses the structure text. Rebuilding the value from it (decodeStructure) reuses the parsed
 * objects in place.
 */
export function parseStructure(json: string, corrupt: (detail: string) => never): ParsedStructure {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    // Not the parser's message: it quotes the text, which need not be ours to print.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    return corrupt(`the object structure is not valid JSON${at === undefined ? '' : ` (at byte ${at})`}`);
  }
  return { value, tagged: json.includes(TAG) };
}

/**
 * Deeper than any value the encoder writes (its recursion stops near 3,000 levels): a tagged
 * structure that deep was not written by us, and decoding it would recurse that deep. (Plain JSON
 * with no tag is returned as JSON.parse built it, without any walk of ours.)
 */
export const MAX_STRUCTURE_DEPTH = 10_000;

/** A typed array or buffer stored as a dataset, as the structure names it. */
export interface DatasetRef {
  name: string;
  kind: TypedArrayName;
  length: number;
}

/** What a structure needs before it can be decoded: the datasets it refers to and the classes it names. */
export interface StructureNeeds {
  /** Every dataset reference, in order (to read them all, possibly in parallel, before decoding). */
  refs: DatasetRef[];
  /** Every class id of an instance in it (checked against the registry before any array is read). */
  typeIds: Set<string>;
}

/** Walks the parsed structure once, without recursion (any depth JSON.parse accepts). */
export function scanStructure(parsed: ParsedStructure, corrupt: (detail: string) => never): StructureNeeds {
  const needs: StructureNeeds = { refs: [], typeIds: new Set() };
  if (!parsed.tagged) return needs;
  const pending: unknown[] = [parsed.value];
  const depths: number[] = [0];
  while (pending.length > 0) {
    const node = pending.pop();
    const depth = depths.pop() as number;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_STRUCTURE_DEPTH)
      corrupt(`the object structure is nested more than ${MAX_STRUCTURE_DEPTH} levels deep`);
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        pending.push(node[i]);
        depths.push(depth + 1);
      }
      continue;
    }
    const tagged = node as Record<string, unknown>;
    const tag = tagged[TAG];
    if (
      (tag === 'ta' || tag === 'ab' || tag === 'dv') &&
      typeof tagged.ds === 'string' &&
      typeof tagged.n === 'number'
    ) {
      const kind = tag === 'ta' ? tagged.t : 'Uint8Array';
      if (isTypedArrayName(kind)) needs.refs.push({ name: tagged.ds, kind, length: tagged.n });
      continue;
    }
    if (tag === 'obj' && typeof tagged.c === 'string') needs.typeIds.add(tagged.c);
    const keys = Object.keys(tagged);
    for (let i = keys.length - 1; i >= 0; i--) {
      pending.push(tagged[keys[i] as string]);
      depths.push(depth + 1);
    }
  }
  return needs;
}
