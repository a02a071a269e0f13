import type { StoredTypedArray } from '../typed-arrays.ts';
import { isTypedArrayName, type TypedArrayName, typedArrayName } from './dtypes.ts';

/**
 * The object's structure as one JSON document (stored as UTF-8 bytes in one dataset): JSON
 * values stay themselves; anything JSON cannot say is an object whose "$" key names a tag.
 *
 *   {"$":"ref","i":n}           the n-th object already met (shared and circular references)
 *   {"$":"u"}                    undefined
 *   {"$":"num","v":"NaN"}        NaN, Infinity, -Infinity, -0
 *   {"$":"big","v":"123"}        BigInt, decimal
 *   {"$":"date","v":ms}          Date (ms since the epoch; null for an invalid date)
 *   {"$":"map","e":[[k,v],...]}  Map;  {"$":"set","e":[...]} Set
 *   {"$":"re","src":..,"f":..}   RegExp
 *   {"$":"err","name","message","stack","cause"?}   Error
 *   {"$":"box","v":..}           new Number/String/Boolean(...)
 *   {"$":"ta","t":"Float64Array","n":len,"ds":"arrays/0"}   typed array stored as a dataset
 *   {"$":"ta","t":"Int32Array","n":len,"b64":"..."}          small typed array inline (little-endian bytes)
 *   {"$":"ab","n":len,"b64"|"ds"}   ArrayBuffer;  {"$":"dv",...} DataView, as "ab"
 *   {"$":"obj","c":"my-lab/Fit","v":{fields}}   instance of a registered class: its own fields
 *                                               ("a":[...], "m":[[k,v]...], "s":[...] for
 *                                               registered Array/Map/Set subclasses)
 *   {"$":"esc","v":{...}}        a plain object that itself has a "$" key
 *
 * Objects are numbered 0, 1, 2... in the order a depth-first walk first meets them (arrays,
 * plain objects and every tag that stands for an object); "ref" points back by that number.
 */

export const TAG = '$';

export interface StructureEncoding {
  json: string;
  /** Typed arrays (and large ArrayBuffers as Uint8Array) to store as datasets, by their "ds" name. */
  datasets: { name: string; view: StoredTypedArray; kind: TypedArrayName }[];
}

export interface EncodeOptions {
  /** Registered class instances and their ids (from summarizeGraph). */
  instanceTypes: ReadonlyMap<object, string>;
  /** Typed arrays of at least this many bytes become datasets. */
  datasetThresholdBytes: number;
  /** Dataset name for the k-th stored array, relative to the object's group. */
  datasetName: (index: number) => string;
}

function base64(view: ArrayBufferView): string {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64');
}

const UNDEFINED = '{"$":"u"}';

/**
 * Two passes. The first numbers every object in depth-first pre-order (the numbering "ref"
 * uses), notes objects met more than once, and marks "pure" subtrees: plain arrays and objects of
 * JSON-safe values only. The second writes the JSON text; a pure subtree holding no repeated
 * object is handed to the native JSON.stringify whole, so plain data costs what JSON costs.
 */
export function encodeStructure(root: unknown, options: EncodeOptions): StructureEncoding {
  const { instanceTypes, datasetThresholdBytes } = options;
  const ids = new Map<object, number>();
  const repeated = new Set<object>();
  /** By id: for pure containers, one past the last id first met inside them; 0 otherwise. */
  const pureEnd: number[] = [];

  const scanFields = (value: object): boolean => {
    let pure = true;
    for (const key of Object.keys(value)) if (!scan((value as Record<string, unknown>)[key])) pure = false;
    return pure;
  };

  /** Children of non-plain objects, in the order `emit` writes them. */
  const scanSpecial = (value: object): void => {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) scan(value[i]);
    } else if (value instanceof Map) {
      for (const [key, entry] of value) {
        scan(key);
        scan(entry);
      }
    } else if (value instanceof Set) {
      for (const item of value) scan(item);
    } else if (instanceTypes.has(value)) {
      scanFields(value);
    } else if (value instanceof Error && 'cause' in value) {
      scan(value.cause);
    }
  };

  const scan = (value: unknown): boolean => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return Number.isFinite(value) && !Object.is(value, -0);
      case 'object':
        break;
      default:
        return false;
    }
    if (value === null) return true;
    if (ids.has(value)) {
      repeated.add(value);
      return false;
    }
    const id = ids.size;
    ids.set(value, id);
    let pure = false;
    const proto = Object.getPrototypeOf(value);
    if (proto === Array.prototype && !instanceTypes.has(value)) {
      const array = value as unknown[];
      pure = true;
      for (let i = 0; i < array.length; i++) if (!scan(array[i])) pure = false;
    } else if ((proto === Object.prototype || proto === null) && !instanceTypes.has(value)) {
      pure = scanFields(value) && !Object.hasOwn(value, TAG);
    } else {
      scanSpecial(value);
    }
    pureEnd[id] = pure ? ids.size : 0;
    return pure;
  };

  scan(root);
  const repeatedIds = [...repeated].map((object) => ids.get(object) as number).sort((a, b) => a - b);
  /** Whether some object first met with an id in [from, to) is met again elsewhere. */
  const holdsRepeated = (from: number, to: number): boolean => {
    let low = 0;
    let high = repeatedIds.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((repeatedIds[middle] as number) < from) low = middle + 1;
      else high = middle;
    }
    return low < repeatedIds.length && (repeatedIds[low] as number) < to;
  };

  const datasets: StructureEncoding['datasets'] = [];
  const emitted = new Set<object>();

  const storeView = (view: StoredTypedArray, kind: TypedArrayName): string => {
    const name = options.datasetName(datasets.length);
    datasets.push({ name, view, kind });
    return JSON.stringify(name);
  };

  const emitFields = (value: object): string => {
    let out = '{';
    let first = true;
    for (const key of Object.keys(value)) {
      out += `${first ? '' : ','}${JSON.stringify(key)}:${emit((value as Record<string, unknown>)[key])}`;
      first = false;
    }
    return `${out}}`;
  };

  const emitItems = (items: Iterable<unknown>): string => {
    let out = '[';
    let first = true;
    for (const item of items) {
      out += first ? emit(item) : `,${emit(item)}`;
      first = false;
    }
    return `${out}]`;
  };

  const emitArray = (array: unknown[]): string => {
    let out = '[';
    for (let i = 0; i < array.length; i++) out += i === 0 ? emit(array[i]) : `,${emit(array[i])}`;
    return `${out}]`;
  };

  const emitEntries = (map: Map<unknown, unknown>): string => {
    let out = '[';
    let first = true;
    for (const [key, entry] of map) {
      out += `${first ? '' : ','}[${emit(key)},${emit(entry)}]`;
      first = false;
    }
    return `${out}]`;
  };

  const emitBytes = (view: ArrayBufferView, tag: string): string => {
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength) as StoredTypedArray;
    const where =
      view.byteLength >= datasetThresholdBytes
        ? `"ds":${storeView(bytes, 'Uint8Array')}`
        : `"b64":"${base64(view)}"`;
    return `{"$":"${tag}","n":${view.byteLength},${where}}`;
  };

  const emitObject = (value: object): string => {
    const typeId = instanceTypes.get(value);
    if (typeId !== undefined) {
      const c = JSON.stringify(typeId);
      if (Array.isArray(value)) return `{"$":"obj","c":${c},"a":${emitArray(value)}}`;
      if (value instanceof Map) return `{"$":"obj","c":${c},"m":${emitEntries(value)}}`;
      if (value instanceof Set) return `{"$":"obj","c":${c},"s":${emitItems(value)}}`;
      return `{"$":"obj","c":${c},"v":${emitFields(value)}}`;
    }
    if (Array.isArray(value)) return emitArray(value);
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const fields = emitFields(value);
      return Object.hasOwn(value, TAG) ? `{"$":"esc","v":${fields}}` : fields;
    }
    if (ArrayBuffer.isView(value)) {
      if (value instanceof DataView) return emitBytes(value, 'dv');
      const kind = typedArrayName(value);
      if (!kind) throw new TypeError(`${value.constructor.name} cannot be stored (no matching HDF5 type)`);
      const view = value as StoredTypedArray;
      const where =
        view.byteLength >= datasetThresholdBytes
          ? `"ds":${storeView(view, kind)}`
          : `"b64":"${base64(view)}"`;
      return `{"$":"ta","t":"${kind}","n":${view.length},${where}}`;
    }
    if (value instanceof Date) {
      const time = value.getTime();
      return `{"$":"date","v":${Number.isNaN(time) ? 'null' : time}}`;
    }
    if (value instanceof Map) return `{"$":"map","e":${emitEntries(value)}}`;
    if (value instanceof Set) return `{"$":"set","e":${emitItems(value)}}`;
    if (value instanceof RegExp)
      return `{"$":"re","src":${JSON.stringify(value.source)},"f":"${value.flags}"}`;
    if (value instanceof Error) {
      let out = `{"$":"err","name":${JSON.stringify(String(value.name))},"message":${JSON.stringify(String(value.message))}`;
      if (typeof value.stack === 'string') out += `,"stack":${JSON.stringify(value.stack)}`;
      if ('cause' in value) out += `,"cause":${emit(value.cause)}`;
      return `${out}}`;
    }
    if (value instanceof ArrayBuffer) return emitBytes(new Uint8Array(value), 'ab');
    if (value instanceof Number || value instanceof String || value instanceof Boolean) {
      return `{"$":"box","v":${emit(value.valueOf())}}`;
    }
    throw new TypeError(`${proto?.constructor?.name ?? 'this object'} cannot be stored`);
  };

  const emit = (value: unknown): string => {
    switch (typeof value) {
      case 'string':
        return JSON.stringify(value);
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return JSON.stringify(value);
        return `{"$":"num","v":"${Object.is(value, -0) ? '-0' : String(value)}"}`;
      case 'undefined':
        return UNDEFINED;
      case 'bigint':
        return `{"$":"big","v":"${value.toString()}"}`;
      case 'object': {
        if (value === null) return 'null';
        if (repeated.has(value)) {
          if (emitted.has(value)) return `{"$":"ref","i":${ids.get(value)}}`;
          emitted.add(value);
        }
        const id = ids.get(value) as number;
        const end = pureEnd[id] as number;
        if (end > 0 && (repeatedIds.length === 0 || !holdsRepeated(id + 1, end)))
          return JSON.stringify(value);
        return emitObject(value);
      }
      default:
        // Functions and symbols were refused by summarizeGraph before we got here.
        throw new TypeError(`a ${typeof value} cannot be stored`);
    }
  };

  return { json: emit(root), datasets };
}

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

/**
 * Rebuilds the value from the parsed JSON, reusing the parsed objects in place. Never runs code
 * from the file: only built-in constructors are called, class instances are plain objects until
 * reviveInstances gives them a registered prototype.
 */
export function parseStructure(json: string, corrupt: (detail: string) => never): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    return corrupt(`the object structure is not valid JSON (${(error as Error).message})`);
  }
}

/** A typed array or buffer stored as a dataset, as the structure names it. */
export interface DatasetRef {
  name: string;
  kind: TypedArrayName;
  length: number;
}

/** Every dataset the parsed structure refers to (to read them all, possibly in parallel, before decoding). */
export function collectDatasetRefs(parsed: unknown): DatasetRef[] {
  const refs: DatasetRef[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const tagged = node as Record<string, unknown>;
    const tag = tagged[TAG];
    if (
      (tag === 'ta' || tag === 'ab' || tag === 'dv') &&
      typeof tagged.ds === 'string' &&
      typeof tagged.n === 'number'
    ) {
      const kind = tag === 'ta' ? tagged.t : 'Uint8Array';
      if (isTypedArrayName(kind)) refs.push({ name: tagged.ds, kind, length: tagged.n });
      return;
    }
    for (const key of Object.keys(tagged)) visit(tagged[key]);
  };
  visit(parsed);
  return refs;
}

export function decodeStructure(parsed: unknown, context: DecodeContext): DecodedStructure {
  const objects: object[] = [];
  const instances: DecodedStructure['instances'] = [];
  const corrupt: (detail: string) => never = context.corrupt;

  const string = (tagged: Record<string, unknown>, key: string): string => {
    const value = tagged[key];
    if (typeof value !== 'string') corrupt(`a "${String(tagged[TAG])}" value lacks its "${key}" string`);
    return value;
  };

  const length = (tagged: Record<string, unknown>): number => {
    const n = tagged.n;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      corrupt(`a "${String(tagged[TAG])}" value has an impossible length`);
    return n;
  };

  const fromBase64 = (tagged: Record<string, unknown>, bytes: number): Buffer => {
    const buffer = Buffer.from(string(tagged, 'b64'), 'base64');
    if (buffer.byteLength !== bytes)
      corrupt(`an inline array holds ${buffer.byteLength} bytes, not the ${bytes} it declares`);
    return buffer;
  };

  const bytesValue = (tagged: Record<string, unknown>): ArrayBuffer => {
    const n = length(tagged);
    if (typeof tagged.ds === 'string')
      return (context.loadDataset(tagged.ds, 'Uint8Array', n) as Uint8Array).buffer as ArrayBuffer;
    const buffer = fromBase64(tagged, n);
    return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + n) as ArrayBuffer;
  };

  const typedArray = (tagged: Record<string, unknown>): StoredTypedArray => {
    const kind = tagged.t;
    if (!isTypedArrayName(kind)) corrupt(`unknown typed array kind ${JSON.stringify(kind)}`);
    const n = length(tagged);
    if (typeof tagged.ds === 'string') return context.loadDataset(tagged.ds, kind, n);
    const ctor = globalThis[kind];
    const buffer = fromBase64(tagged, n * ctor.BYTES_PER_ELEMENT);
    const copy = new ctor(n) as StoredTypedArray;
    new Uint8Array(copy.buffer).set(buffer);
    return copy;
  };

  const decodeFieldsInPlace = (fields: Record<string, unknown>): void => {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (typeof value !== 'object' || value === null) continue;
      const decoded = decode(value);
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
  };

  const decodeArrayInPlace = (array: unknown[]): void => {
    for (let i = 0; i < array.length; i++) {
      const value = array[i];
      if (typeof value === 'object' && value !== null) array[i] = decode(value);
    }
  };

  const entriesOf = (tagged: Record<string, unknown>): unknown[] => {
    const entries = tagged.e;
    if (!Array.isArray(entries)) corrupt(`a "${String(tagged[TAG])}" value lacks its entries`);
    return entries;
  };

  const decodeMapBody = (entries: unknown[], map: Map<unknown, unknown>): void => {
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) corrupt('a Map entry is not a [key, value] pair');
      const key = decodeAny(entry[0]);
      map.set(key, decodeAny(entry[1]));
    }
  };

  const decodeSetBody = (entries: unknown[], set: Set<unknown>): void => {
    for (const entry of entries) set.add(decodeAny(entry));
  };

  const decodeAny = (value: unknown): unknown =>
    typeof value === 'object' && value !== null ? decode(value) : value;

  const register = <T extends object>(object: T): T => {
    objects.push(object);
    return object;
  };

  const decode = (value: object): unknown => {
    if (Array.isArray(value)) {
      register(value);
      decodeArrayInPlace(value);
      return value;
    }
    const tagged = value as Record<string, unknown>;
    const tag = tagged[TAG];
    if (tag === undefined) {
      register(value);
      decodeFieldsInPlace(tagged);
      return value;
    }
    switch (tag) {
      case 'ref': {
        const index = tagged.i;
        const target = typeof index === 'number' ? objects[index] : undefined;
        if (!target) corrupt(`a reference points to object ${String(index)}, which does not precede it`);
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
        return corrupt(`unknown special number ${JSON.stringify(text)}`);
      }
      case 'big': {
        const text = string(tagged, 'v');
        if (!/^-?\d+$/.test(text))
          corrupt(`a BigInt is not a decimal integer: ${JSON.stringify(text.slice(0, 40))}`);
        return BigInt(text);
      }
      case 'esc': {
        const fields = tagged.v;
        if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
          corrupt('an escaped object has no fields');
        register(fields);
        decodeFieldsInPlace(fields as Record<string, unknown>);
        return fields;
      }
      case 'obj': {
        const typeId = string(tagged, 'c');
        let object: object;
        if (Array.isArray(tagged.a)) {
          object = register(tagged.a);
          decodeArrayInPlace(tagged.a);
        } else if (Array.isArray(tagged.m)) {
          const map = register(new Map());
          decodeMapBody(tagged.m, map);
          object = map;
        } else if (Array.isArray(tagged.s)) {
          const set = register(new Set());
          decodeSetBody(tagged.s, set);
          object = set;
        } else {
          const fields = tagged.v;
          if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
            corrupt(`an instance of '${typeId}' has no body`);
          object = register(fields);
          decodeFieldsInPlace(fields as Record<string, unknown>);
        }
        instances.push({ object, typeId });
        return object;
      }
      case 'map': {
        const map = register(new Map());
        decodeMapBody(entriesOf(tagged), map);
        return map;
      }
      case 'set': {
        const set = register(new Set());
        decodeSetBody(entriesOf(tagged), set);
        return set;
      }
      case 'ta':
        return register(typedArray(tagged));
      case 'ab':
        return register(bytesValue(tagged));
      case 'dv':
        return register(new DataView(bytesValue(tagged)));
      case 'date': {
        const time = tagged.v;
        if (time !== null && typeof time !== 'number') corrupt('a Date holds no time');
        return register(new Date(time === null ? Number.NaN : time));
      }
      case 're': {
        try {
          return register(new RegExp(string(tagged, 'src'), string(tagged, 'f')));
        } catch (error) {
          if (error instanceof SyntaxError) corrupt(`a RegExp does not compile (${error.message})`);
          throw error;
        }
      }
      case 'err': {
        const name = string(tagged, 'name');
        const ctor = Object.hasOwn(ERROR_TYPES, name) ? (ERROR_TYPES[name] as ErrorConstructor) : Error;
        const error = register(new ctor(string(tagged, 'message')));
        if (error.name !== name)
          Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
        if (typeof tagged.stack === 'string')
          Object.defineProperty(error, 'stack', { value: tagged.stack, writable: true, configurable: true });
        if ('cause' in tagged)
          Object.defineProperty(error, 'cause', {
            value: decodeAny(tagged.cause),
            writable: true,
            configurable: true,
          });
        return error;
      }
      case 'box': {
        const inner = decodeAny(tagged.v);
        if (typeof inner !== 'number' && typeof inner !== 'string' && typeof inner !== 'boolean')
          corrupt('a boxed primitive holds no primitive');
        return register(Object(inner) as object);
      }
      default:
        return corrupt(`unknown tag ${JSON.stringify(tag)}`);
    }
  };

  try {
    return { root: decodeAny(parsed), instances };
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message))
      corrupt('the object structure is nested too deeply to decode');
    throw error;
  }
}
