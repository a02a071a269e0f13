import { registeredClassById, registeredClassIds, registeredClassOf } from '@hpc/process';
import { ForbiddenKeyError, UnknownTypeError, UnsupportedValueError } from './errors.ts';
import { findUnstorable } from './storable/find-unstorable.ts';
import { FORBIDDEN_INSTANCE_KEYS, isBuiltinLeaf, isStorableView } from './storable/rules.ts';

/**
 * The part of serialization both file formats share: walk an object graph once, refuse what
 * cannot be stored faithfully (the rules: storable/, naming the property path), and list the registered class
 * instances with their ids; on the way back, give those objects their prototype again.
 */

/** An object that is an instance of a registered class, and the class's id. */
export interface ClassInstance {
  object: object;
  typeId: string;
}

export interface GraphSummary {
  /** Registered class instances, in first-visit order. */
  instances: ClassInstance[];
  /** Distinct class ids used (the crate's manifest, so drivers know which modules to import). */
  typeIds: string[];
}

class Refusal extends Error {}
/** The fast walk gives up (deep nesting or heavy sharing) and the thorough walk takes over. */
class GiveUp extends Error {}

/**
 * Most graphs are trees or share little, and tracking every visited object in a Set costs more
 * than v8's own serialization. So the first walk tracks nothing, with a bound on depth (cycles)
 * and on visits (heavy sharing); only if it hits a bound does the walk run again with a Set.
 */
const FAST_WALK_MAX_DEPTH = 2_000;
const FAST_WALK_MAX_VISITS = 2_000_000;

export function summarizeGraph(root: unknown): GraphSummary {
  try {
    return walkGraph(root, false) ?? (walkGraph(root, true) as GraphSummary);
  } catch (error) {
    if (error instanceof Refusal) throw explainRefusal(root);
    if (error instanceof RangeError) {
      throw new UnsupportedValueError(
        '$',
        'a too deeply nested value',
        'nesting exceeds the call stack; flatten it',
      );
    }
    throw error;
  }
}

/** One pass over the graph; undefined when the untracked pass hit a bound. */
function walkGraph(root: unknown, trackVisited: boolean): GraphSummary | undefined {
  const instances: ClassInstance[] = [];
  const typeIds = new Set<string>();
  const noted = new Set<object>();
  const visited = trackVisited ? new Set<object>() : undefined;
  let visitsLeft = FAST_WALK_MAX_VISITS;
  // for...in is the fastest way over a plain object's keys, and exact unless someone has added
  // enumerable properties to Object.prototype: then own keys are listed explicitly.
  const plainKeysByForIn = !hasEnumerableInheritedKeys({});

  const visitChild = (value: unknown, depth: number): void => {
    if (typeof value === 'object') {
      if (value !== null) visit(value, depth);
    } else if (typeof value === 'function' || typeof value === 'symbol') {
      throw new Refusal();
    }
  };

  const visit = (value: object, depth: number): void => {
    if (visited) {
      const size = visited.size;
      visited.add(value);
      if (visited.size === size) return;
    } else if (--visitsLeft < 0 || depth > FAST_WALK_MAX_DEPTH) {
      throw new GiveUp();
    }
    const next = depth + 1;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visitChild(value[i], next);
      if (Object.getPrototypeOf(value) !== Array.prototype) noteInstance(value);
      return;
    }
    if (ArrayBuffer.isView(value)) {
      if (!isStorableView(value)) throw new Refusal();
      return;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      // Symbol keys of plain objects are not stored (as with structuredClone and JSON).
      if (plainKeysByForIn) {
        for (const key in value) visitChild((value as Record<string, unknown>)[key], next);
      } else {
        visitOwnValues(value, next);
      }
      return;
    }
    if (value instanceof Map) {
      for (const [key, entry] of value) {
        visitChild(key, next);
        visitChild(entry, next);
      }
      if (proto !== Map.prototype) noteInstance(value);
      return;
    }
    if (value instanceof Set) {
      for (const entry of value) visitChild(entry, next);
      if (proto !== Set.prototype) noteInstance(value);
      return;
    }
    if (isBuiltinLeaf(value, proto)) return;
    noteInstance(value);
    visitOwnValues(value, next);
  };

  const visitOwnValues = (value: object, depth: number): void => {
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++)
      visitChild((value as Record<string, unknown>)[keys[i] as string], depth);
  };

  const noteInstance = (value: object): void => {
    const entry = registeredClassOf(Object.getPrototypeOf(value).constructor);
    if (!entry || Object.getPrototypeOf(value) !== entry.ctor.prototype) throw new Refusal();
    for (const key of FORBIDDEN_INSTANCE_KEYS) if (Object.hasOwn(value, key)) throw new Refusal();
    // A class instance's symbol-keyed state would be silently dropped: refuse it instead.
    if (Object.getOwnPropertySymbols(value).length > 0) throw new Refusal();
    const size = noted.size;
    noted.add(value);
    if (noted.size === size) return;
    instances.push({ object: value, typeId: entry.id });
    typeIds.add(entry.id);
  };

  try {
    visitChild(root, 0);
  } catch (error) {
    if (error instanceof GiveUp) return undefined;
    throw error;
  }
  return { instances, typeIds: [...typeIds] };
}

function hasEnumerableInheritedKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

function explainRefusal(root: unknown): UnsupportedValueError {
  return findUnstorable(root) ?? new UnsupportedValueError('$', 'a value', 'it could not be classified');
}

/**
 * Gives revived objects their class's prototype back, without running constructors. Only classes
 * registered in this process qualify; the file never decides what code runs.
 */
export function reviveInstances(file: string, pairs: readonly ClassInstance[], objectPath?: string): void {
  for (const { object, typeId } of pairs) {
    const entry = registeredClassById(typeId);
    if (!entry) throw new UnknownTypeError(file, typeId, registeredClassIds(), objectPath);
    for (const key of FORBIDDEN_INSTANCE_KEYS) {
      if (Object.hasOwn(object, key)) throw new ForbiddenKeyError(file, key, typeId);
    }
    Object.setPrototypeOf(object, entry.ctor.prototype);
  }
}
