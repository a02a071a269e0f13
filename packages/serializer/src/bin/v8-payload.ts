import v8 from 'node:v8';
import { isHpcError } from '@hpc/core';
import { registeredClassById } from '@hpc/process';
import { CorruptFileError, UnsupportedValueError } from '../errors.ts';
import { type ClassInstance, reviveInstances, summarizeGraph } from '../object-graph.ts';
import { type StoredTypedArray, TYPED_ARRAYS } from '../typed-arrays.ts';

/**
 * v8's structured serialization with one change: typed arrays of at least `inlineLimitBytes` are
 * not copied into the payload but replaced by an index into a side list, so they can be written
 * and read in place. Everything else (Map, Set, Date, BigInt, shared and circular references,
 * Errors) is v8's own, battle-tested encoding.
 */
const INLINE = 0;
const OUT_OF_LINE = 1;

export class OutOfLineSerializer extends v8.DefaultSerializer {
  readonly arrays: ArrayBufferView[] = [];

  constructor(private readonly inlineLimitBytes: number) {
    super();
  }

  _writeHostObject(view: ArrayBufferView): void {
    if (view.byteLength >= this.inlineLimitBytes && !(view instanceof DataView)) {
      this.writeUint32(OUT_OF_LINE);
      this.writeUint32(this.arrays.push(view) - 1);
      return;
    }
    this.writeUint32(INLINE);
    // biome-ignore lint/suspicious/noExplicitAny: Node's DefaultSerializer has this method but @types/node omits it.
    (v8.DefaultSerializer.prototype as any)._writeHostObject.call(this, view);
  }
}

export class OutOfLineDeserializer extends v8.DefaultDeserializer {
  constructor(
    payload: Buffer,
    private readonly arrays: readonly StoredTypedArray[],
    private readonly file: string,
  ) {
    super(payload);
  }

  _readHostObject(): unknown {
    const tag = this.readUint32();
    if (tag === OUT_OF_LINE) {
      const index = this.readUint32();
      const array = this.arrays[index];
      if (!array)
        throw this.damaged(
          `payload refers to out-of-line array ${index}, but the file has ${this.arrays.length}`,
        );
      return array;
    }
    if (tag !== INLINE) throw this.damaged(`unknown host object tag ${tag}`);
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    return (v8.DefaultDeserializer.prototype as any)._readHostObject.call(this);
  }

  /** The payload contradicts itself: said as decodeStructure says any undecodable structure. */
  private damaged(detail: string): CorruptFileError {
    return new CorruptFileError(this.file, `the object structure cannot be decoded (${detail})`);
  }
}

/** A value as the .bin structure: v8's payload of [root, class table] and the out-of-line arrays. */
export interface EncodedStructure {
  meta: Buffer;
  arrays: ArrayBufferView[];
  rootType: string | undefined;
  types: string[];
}

export function encodeStructure(value: unknown, inlineLimitBytes: number): EncodedStructure {
  const summary = summarizeGraph(value);
  const serializer = new OutOfLineSerializer(inlineLimitBytes);
  serializer.writeHeader();
  const table: unknown[] = [];
  for (const { object, typeId } of summary.instances) table.push(object, typeId);
  try {
    serializer.writeValue([value, table]);
  } catch (error) {
    throw new UnsupportedValueError(
      '$',
      'a value',
      `${(error as Error).message} (structured serialization refused it)`,
    );
  }
  const first = summary.instances[0];
  return {
    meta: serializer.releaseBuffer(),
    arrays: serializer.arrays,
    rootType: first && first.object === value ? first.typeId : undefined,
    types: summary.typeIds,
  };
}

/** The value back from its structure and arrays, with registered class instances revived. */
export function decodeStructure<T>(file: string, meta: Buffer, arrays: readonly StoredTypedArray[]): T {
  let decoded: unknown;
  try {
    const deserializer = new OutOfLineDeserializer(meta, arrays, file);
    deserializer.readHeader();
    decoded = deserializer.readValue();
  } catch (error) {
    if (isHpcError(error, 'CorruptFileError')) throw error;
    throw new CorruptFileError(file, `the object structure cannot be decoded (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || !Array.isArray(decoded[1]) || decoded[1].length % 2)
    throw new CorruptFileError(file, 'the structure is not [root, class table]');
  const table = decoded[1] as unknown[];
  const instances: ClassInstance[] = [];
  for (let i = 0; i < table.length; i += 2) {
    const object = table[i];
    const typeId = table[i + 1];
    if (typeof object !== 'object' || object === null || typeof typeId !== 'string')
      throw new CorruptFileError(file, `class table entry ${i / 2} is malformed`);
    checkKind(file, object, typeId, i / 2);
    instances.push({ object, typeId });
  }
  reviveInstances(file, instances);
  return decoded[0] as T;
}

/** Built-in kinds an instance's class may extend; revival must not change one into another. */
const BUILTIN_KINDS = [Array, Map, Set, Date, RegExp, Error, ArrayBuffer, DataView, Boolean, Number, String];

function builtinKind(prototype: object | null): string {
  if (prototype === null) return 'plain object';
  const kind = [...BUILTIN_KINDS, ...TYPED_ARRAYS].find(
    (builtin) =>
      prototype === builtin.prototype || Object.prototype.isPrototypeOf.call(builtin.prototype, prototype),
  );
  return kind ? `${kind.name}` : 'plain object';
}

/** A Process id on an Array (or any kind mismatch) is refused: the object would not be what its class expects. */
function checkKind(file: string, object: object, typeId: string, index: number): void {
  const entry = registeredClassById(typeId);
  if (!entry) return; // reviveInstances says it is unknown
  const stored = builtinKind(Object.getPrototypeOf(object));
  const expected = builtinKind(entry.ctor.prototype);
  if (stored !== expected) {
    throw new CorruptFileError(
      file,
      `class table entry ${index}: a stored ${stored} cannot be revived as '${typeId}', whose instances are ${expected === 'plain object' ? 'plain objects' : `${expected}s`}`,
    );
  }
}
