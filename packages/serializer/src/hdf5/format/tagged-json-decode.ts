import { registeredClassById } from '@hpc/process';
import type { StoredTypedArray } from '../../typed-arrays.ts';
import { isTypedArrayName, type TypedArrayName } from './dtypes.ts';
import { BODY_KEYS, BODY_NAMES, TAG } from './tagged-json-format.ts';
import type { ParsedStructure } from './tagged-json-scan.ts';

export {
  type DatasetRef,
  MAX_STRUCTURE_DEPTH,
  type ParsedStructure,
  parseStructure,
  type StructureNeeds,
  scanStructure,
} from './tagged-json-scan.ts';

/**
 * Reading the structure text back (its format: tagged-json-format.ts). Never runs code from the file:
 * only built-in constructors are called, and class instances stay plain objects (or arrays, maps,
 * sets, as their body says) until reviveInstances gives them a registered prototype; a body that
 * does not match its registered class is refused.
 */
/** What the decoder needs from the file: a typed array for each "ds" reference. */
export interface DecodeContext {
  /** Reads dataset `name` (relative to the object's group) as `kind`, checking it holds exactly `length` elements. */
  loadDataset: (name: string, kind: TypedArrayName, length: number) => StoredTypedArray;
  /** Throws the caller's CorruptFileError. */
  corrupt: (detail: string) => never;
}

export interface DecodedStructure {
  root: unknown;
  /** Objects to give a class prototype (checked against the registry by reviveInstances). */
  instances: { object: object; typeId: string }[];
}

const ERROR_TYPES: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/** The decoding walk's state, one object reused from call to call (for the reason given at Encoder). */
interface Decoder {
  objects: object[];
  instances: DecodedStructure['instances'];
  context: DecodeContext | undefined;
}

let spareDecoder: Decoder | undefined;

export function decodeStructure(parsed: ParsedStructure, context: DecodeContext): DecodedStructure {
  if (!parsed.tagged) return { root: parsed.value, instances: [] };
  const state: Decoder = spareDecoder ?? { objects: [], instances: [], context: undefined };
  spareDecoder = undefined;
  state.objects = [];
  state.instances = [];
  state.context = context;
  try {
    return { root: decodeAny(state, parsed.value), instances: state.instances };
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message))
      context.corrupt('the object structure is nested too deeply to decode');
    throw error;
  } finally {
    state.objects = [];
    state.instances = [];
    state.context = undefined;
    spareDecoder = state;
  }
}

function contextOf(state: Decoder): DecodeContext {
  return state.context as DecodeContext;
}

/** Throws the caller's CorruptFileError. */
function corruptIn(state: Decoder, detail: string): never {
  return contextOf(state).corrupt(detail);
}

function decodeAny(state: Decoder, value: unknown): unknown {
  return typeof value === 'object' && value !== null ? decodeNode(state, value) : value;
}

function tagString(state: Decoder, tagged: Record<string, unknown>, key: string): string {
  const value = tagged[key];
  if (typeof value !== 'string')
    corruptIn(state, `a "${String(tagged[TAG])}" value lacks its "${key}" string`);
  return value;
}

function tagLength(state: Decoder, tagged: Record<string, unknown>): number {
  const n = tagged.n;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    corruptIn(state, `a "${String(tagged[TAG])}" value has an impossible length`);
  return n;
}

function fromBase64(state: Decoder, tagged: Record<string, unknown>, bytes: number): Buffer {
  const buffer = Buffer.from(tagString(state, tagged, 'b64'), 'base64');
  if (buffer.byteLength !== bytes)
    corruptIn(state, `an inline array holds ${buffer.byteLength} bytes, not the ${bytes} it declares`);
  return buffer;
}

function decodeBytes(state: Decoder, tagged: Record<string, unknown>): ArrayBuffer {
  const n = tagLength(state, tagged);
  if (typeof tagged.ds === 'string')
    return (contextOf(state).loadDataset(tagged.ds, 'Uint8Array', n) as Uint8Array).buffer as ArrayBuffer;
  const buffer = fromBase64(state, tagged, n);
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + n) as ArrayBuffer;
}

function decodeTypedArray(state: Decoder, tagged: Record<string, unknown>): StoredTypedArray {
  const kind = tagged.t;
  if (!isTypedArrayName(kind)) corruptIn(state, `unknown typed array kind ${JSON.stringify(kind)}`);
  const n = tagLength(state, tagged);
  if (typeof tagged.ds === 'string') return contextOf(state).loadDataset(tagged.ds, kind, n);
  const ctor = globalThis[kind];
  const buffer = fromBase64(state, tagged, n * ctor.BYTES_PER_ELEMENT);
  const copy = new ctor(n) as StoredTypedArray;
  new Uint8Array(copy.buffer).set(buffer);
  return copy;
}

function decodeFieldsInPlace(state: Decoder, fields: Record<string, unknown>): void {
  for (const key in fields) {
    const value = fields[key];
    if (typeof value !== 'object' || value === null || !Object.hasOwn(fields, key)) continue;
    const decoded = decodeNode(state, value);
    if (decoded === value) continue;
    if (key === '__proto__')
      Object.defineProperty(fields, key, {
        value: decoded,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else fields[key] = decoded;
  }
}

function decodeArrayInPlace(state: Decoder, array: unknown[]): void {
  for (let i = 0; i < array.length; i++) {
    const value = array[i];
    if (typeof value === 'object' && value !== null) array[i] = decodeNode(state, value);
  }
}

function entriesOf(state: Decoder, tagged: Record<string, unknown>): unknown[] {
  const entries = tagged.e;
  if (!Array.isArray(entries)) corruptIn(state, `a "${String(tagged[TAG])}" value lacks its entries`);
  return entries;
}

function decodeMapBody(state: Decoder, entries: unknown[], map: Map<unknown, unknown>): void {
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2)
      corruptIn(state, 'a Map entry is not a [key, value] pair');
    const key = decodeAny(state, entry[0]);
    map.set(key, decodeAny(state, entry[1]));
  }
}

function decodeSetBody(state: Decoder, entries: unknown[], set: Set<unknown>): void {
  for (const entry of entries) set.add(decodeAny(state, entry));
}

function register<T extends object>(state: Decoder, object: T): T {
  state.objects.push(object);
  return object;
}

function decodeNode(state: Decoder, value: object): unknown {
  if (Array.isArray(value)) {
    state.objects.push(value);
    decodeArrayInPlace(state, value);
    return value;
  }
  const tagged = value as Record<string, unknown>;
  const tag = tagged[TAG];
  if (tag === undefined) {
    state.objects.push(value);
    decodeFieldsInPlace(state, tagged);
    return value;
  }
  return decodeTagged(state, tagged, tag);
}

function decodeTagged(state: Decoder, tagged: Record<string, unknown>, tag: unknown): unknown {
  switch (tag) {
    case 'ref': {
      const index = tagged.i;
      const target = typeof index === 'number' ? state.objects[index] : undefined;
      if (!target)
        corruptIn(state, `a reference points to object ${String(index)}, which does not precede it`);
      return target;
    }
    case 'u':
      return undefined;
    case 'num': {
      const text = tagged.v;
      if (text === 'NaN') return Number.NaN;
      if (text === 'Infinity') return Number.POSITIVE_INFINITY;
      if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
      if (text === '-0') return -0;
      return corruptIn(state, `unknown special number ${JSON.stringify(text)}`);
    }
    case 'big': {
      const text = tagString(state, tagged, 'v');
      if (!/^-?\d+$/.test(text))
        corruptIn(state, `a BigInt is not a decimal integer: ${JSON.stringify(text.slice(0, 40))}`);
      return BigInt(text);
    }
    case 'esc': {
      const fields = tagged.v;
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
        corruptIn(state, 'an escaped object has no fields');
      register(state, fields);
      decodeFieldsInPlace(state, fields as Record<string, unknown>);
      return fields;
    }
    case 'obj':
      return decodeInstance(state, tagged);
    case 'map': {
      const map = register(state, new Map());
      decodeMapBody(state, entriesOf(state, tagged), map);
      return map;
    }
    case 'set': {
      const set = register(state, new Set());
      decodeSetBody(state, entriesOf(state, tagged), set);
      return set;
    }
    case 'ta':
      return register(state, decodeTypedArray(state, tagged));
    case 'ab':
      return register(state, decodeBytes(state, tagged));
    case 'dv':
      return register(state, new DataView(decodeBytes(state, tagged)));
    case 'date': {
      const time = tagged.v;
      if (time !== null && typeof time !== 'number') corruptIn(state, 'a Date holds no time');
      return register(state, new Date(time === null ? Number.NaN : time));
    }
    case 're': {
      try {
        return register(state, new RegExp(tagString(state, tagged, 'src'), tagString(state, tagged, 'f')));
      } catch (error) {
        if (error instanceof SyntaxError) corruptIn(state, `a RegExp does not compile (${error.message})`);
        throw error;
      }
    }
    case 'err': {
      const name = tagString(state, tagged, 'name');
      const ctor = Object.hasOwn(ERROR_TYPES, name) ? (ERROR_TYPES[name] as ErrorConstructor) : Error;
      const error = register(state, new ctor(tagString(state, tagged, 'message')));
      if (error.name !== name)
        Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
      if (typeof tagged.stack === 'string')
        Object.defineProperty(error, 'stack', { value: tagged.stack, writable: true, configurable: true });
      if ('cause' in tagged)
        Object.defineProperty(error, 'cause', {
          value: decodeAny(state, tagged.cause),
          writable: true,
          configurable: true,
        });
      return error;
    }
    case 'box': {
      const inner = decodeAny(state, tagged.v);
      if (typeof inner !== 'number' && typeof inner !== 'string' && typeof inner !== 'boolean')
        corruptIn(state, 'a boxed primitive holds no primitive');
      return register(state, Object(inner) as object);
    }
    default:
      return corruptIn(state, `unknown tag ${JSON.stringify(tag)}`);
  }
}

/** The body key a registered class's instances are stored with (as the encoder chose it). */
function bodyKeyOf(typeId: string): 'a' | 'm' | 's' | 'v' | undefined {
  const entry = registeredClassById(typeId);
  if (!entry) return undefined; // refused by reviveInstances, with the registered ids listed
  const proto = entry.ctor.prototype as object;
  if (Object.prototype.isPrototypeOf.call(Array.prototype, proto)) return 'a';
  if (proto instanceof Map) return 'm';
  if (proto instanceof Set) return 's';
  return 'v';
}

/**
 * A registered class instance: exactly one body, of the kind its class has ("a" for an Array
 * subclass, "m" Map, "s" Set, "v" fields of anything else), so a plain array can never come back
 * as a Process.
 */
function decodeInstance(state: Decoder, tagged: Record<string, unknown>): object {
  const typeId = tagString(state, tagged, 'c');
  const bodies = BODY_KEYS.filter((key) => Object.hasOwn(tagged, key));
  const body = bodies[0];
  if (bodies.length !== 1 || body === undefined)
    corruptIn(state, `an instance of '${typeId}' has ${bodies.length} bodies, not one`);
  const expected = bodyKeyOf(typeId);
  if (expected !== undefined && body !== expected)
    corruptIn(
      state,
      `an instance of '${typeId}' is stored as ${BODY_NAMES[body]}, but that class's instances are ${BODY_NAMES[expected]}`,
    );
  let object: object;
  const value = tagged[body];
  if (body === 'v') {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      corruptIn(state, `an instance of '${typeId}' has no fields`);
    object = register(state, value);
    decodeFieldsInPlace(state, value as Record<string, unknown>);
  } else {
    if (!Array.isArray(value)) corruptIn(state, `an instance of '${typeId}' has a body that is not a list`);
    if (body === 'a') {
      object = register(state, value);
      decodeArrayInPlace(state, value);
    } else if (body === 'm') {
      const map = register(state, new Map());
      decodeMapBody(state, value, map);
      object = map;
    } else {
      const set = register(state, new Set());
      decodeSetBody(state, value, set);
      object = set;
    }
  }
  state.instances.push({ object, typeId });
  return object;
}
