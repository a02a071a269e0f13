import v8 from 'node:v8';
import type { StoredTypedArray } from './typed-arrays.ts';

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
  ) {
    super(payload);
  }

  _readHostObject(): unknown {
    const tag = this.readUint32();
    if (tag === OUT_OF_LINE) {
      const index = this.readUint32();
      const array = this.arrays[index];
      if (!array)
        throw new RangeError(
          `payload refers to out-of-line array ${index}, but the file has ${this.arrays.length}`,
        );
      return array;
    }
    if (tag !== INLINE) throw new RangeError(`unknown host object tag ${tag}`);
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    return (v8.DefaultDeserializer.prototype as any)._readHostObject.call(this);
  }
}
