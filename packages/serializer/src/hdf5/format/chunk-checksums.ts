import { crc32 } from 'node:zlib';
import { WorkerSafeInternalError } from '../accel/worker-errors.ts';

/**
 * Layout version 2 checksums: the CRC-32 (zlib's, as Python's zlib.crc32) of each chunk's
 * uncompressed little-endian bytes, in the dataset's `hpc_crc32` attribute; a contiguous dataset
 * is one unit, the last unit covers only the elements that are there. They are computed where the
 * bytes already are (compress workers, the write loop) and verified right after each chunk is
 * decompressed (read workers, the reading thread), never as a pass of its own.
 */
export interface ChunkChecks {
  /** CRC-32 of each unit, from unit `firstUnit` on. */
  crcs: Uint32Array;
  firstUnit: number;
  /** Elements per unit: the chunk length, or the dataset's length when it is contiguous. */
  unit: number;
  /** The dataset's length. */
  length: number;
}

export function unitCount(length: number, unit: number): number {
  return length === 0 ? 0 : Math.ceil(length / unit);
}

/**
 * The internal switch behind the benchmark's "checksums off" row, never for real use: with
 * HPC_SERIALIZER_BENCHMARK_NO_CHECKSUMS=1 writes store zeros instead of CRCs and reads skip the
 * comparison. Read per operation on the calling thread, which tells its workers.
 */
export function checksumsEnabled(): boolean {
  return process.env.HPC_SERIALIZER_BENCHMARK_NO_CHECKSUMS !== '1';
}

/** The CRC-32 of `bytes` (0 when checksums are switched off for a benchmark). */
export function checksumOf(bytes: Uint8Array, enabled = true): number {
  return enabled ? crc32(bytes) : 0;
}

/**
 * Verifies bytes fed in order, from a unit boundary on: each unit's running CRC is compared as
 * soon as the unit is complete; `fail` (which throws) gets the mismatch in words.
 */
export class ChunkVerifier {
  private unit: number;
  private crc = 0;
  private filled = 0;
  private readonly checks: ChunkChecks;
  private readonly bytesPerElement: number;
  private readonly what: string;
  private readonly fail: (detail: string) => never;

  // No parameter properties: worker threads run these sources with type stripping only.
  constructor(
    checks: ChunkChecks,
    bytesPerElement: number,
    fromElement: number,
    what: string,
    fail: (detail: string) => never,
  ) {
    this.checks = checks;
    this.bytesPerElement = bytesPerElement;
    this.what = what;
    this.fail = fail;
    this.unit = fromElement / checks.unit;
    if (!Number.isInteger(this.unit))
      throw new WorkerSafeInternalError(`a verified read must start at a unit boundary, not ${fromElement}`);
  }

  update(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.byteLength) {
      const unitBytes = this.unitElements(this.unit) * this.bytesPerElement;
      const take = Math.min(unitBytes - this.filled, bytes.byteLength - at);
      this.crc = crc32(bytes.subarray(at, at + take), this.crc);
      this.filled += take;
      at += take;
      if (this.filled === unitBytes) this.complete();
    }
  }

  /** Checks no unit was left half read. */
  finish(): void {
    if (this.filled !== 0)
      throw new WorkerSafeInternalError(`a verified read ended inside unit ${this.unit} of ${this.what}`);
  }

  private unitElements(unit: number): number {
    return Math.min(this.checks.unit, this.checks.length - unit * this.checks.unit);
  }

  private complete(): void {
    const expected = this.checks.crcs[this.unit - this.checks.firstUnit];
    if (expected === undefined)
      throw new WorkerSafeInternalError(`no checksum for unit ${this.unit} of ${this.what}`);
    if (this.crc >>> 0 !== expected) {
      const first = this.unit * this.checks.unit;
      const units = unitCount(this.checks.length, this.checks.unit);
      const place =
        units === 1
          ? 'its only chunk'
          : `chunk ${this.unit} of ${units} (elements ${first}-${first + this.unitElements(this.unit) - 1})`;
      this.fail(
        `checksum mismatch in ${this.what}, ${place}: stored CRC-32 ${hex(expected)}, data has ${hex(this.crc)}`,
      );
    }
    this.unit++;
    this.crc = 0;
    this.filled = 0;
  }
}

function hex(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
