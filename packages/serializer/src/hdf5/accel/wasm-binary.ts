import { WorkerSafeInternalError } from './worker-errors.ts';
/** Reading and writing the WebAssembly binary format's basic parts (LEB128 numbers, names). */
export class WasmReader {
  at: number;
  readonly bytes: Uint8Array;
  private readonly what: string;
  // No parameter properties: worker threads run this file from sources with type stripping only.
  constructor(bytes: Uint8Array, at = 0, what = 'the module') {
    this.bytes = bytes;
    this.at = at;
    this.what = what;
  }
  byte(): number {
    const value = this.bytes[this.at++];
    if (value === undefined) throw new WorkerSafeInternalError(`${this.what} ends early`);
    return value;
  }
  /** An unsigned LEB128 number. */
  u32(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
  }
  /** A length-prefixed UTF-8 name. */
  name(): string {
    const length = this.u32();
    const text = Buffer.from(this.bytes.subarray(this.at, this.at + length)).toString('utf8');
    this.at += length;
    return text;
  }
  /** Skips the limits of a memory or table (flags, minimum, maximum if flagged). */
  skipLimits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

/** `value` as an unsigned LEB128 number. */
export function encodeU32(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}
