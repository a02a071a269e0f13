/**
 * The regions of a .bin crate, found from the file itself rather than from the reader's code, so
 * they stay right while the format changes: the manifest is the JSON object near the start, the
 * v8 structure starts with v8's header byte 0xFF after it, each out-of-line array is found by its
 * own bytes, padding is the zeros before an array, the header is what precedes the manifest and
 * anything after the last array is a trailer.
 */
import type { Region } from './mutations.ts';

/** End (exclusive) of the JSON object starting at `start`, or -1. */
function jsonObjectEnd(bytes: Uint8Array, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) depth++;
    else if (byte === 0x7d || byte === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function findManifest(bytes: Uint8Array): [number, number] {
  for (let start = 8; start < Math.min(bytes.length, 512); start++) {
    if (bytes[start] !== 0x7b || bytes[start + 1] !== 0x22) continue;
    const end = jsonObjectEnd(bytes, start);
    if (end < 0) continue;
    try {
      const parsed = JSON.parse(Buffer.from(bytes.subarray(start, end)).toString('utf8'));
      if (parsed && typeof parsed === 'object' && 'arrays' in parsed) return [start, end];
    } catch {
      // Not the manifest: keep looking.
    }
  }
  throw new Error('no JSON manifest found near the start of the .bin file');
}

/** `arrays` are the typed arrays expected out of line (the shape's large ones). */
export function findBinRegions(bytes: Uint8Array, arrays: readonly ArrayBufferView[]): Region[] {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [manifestStart, manifestEnd] = findManifest(bytes);
  const metaStart = file.indexOf(0xff, manifestEnd);
  const payload: [number, number][] = [];
  for (const view of arrays) {
    const needle = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    const at = file.indexOf(needle, manifestEnd);
    if (at < 0) throw new Error(`an out-of-line array of ${view.byteLength} bytes is not in the file`);
    payload.push([at, at + view.byteLength]);
  }
  payload.sort((a, b) => a[0] - b[0]);
  const padding: [number, number][] = [];
  const firstPayload = payload[0]?.[0] ?? file.length;
  let metaEnd = firstPayload;
  for (const [start] of payload) {
    let zeros = start;
    while (zeros > 0 && start - zeros < 8 && file[zeros - 1] === 0) zeros--;
    if (zeros < start) padding.push([zeros, start]);
    if (start === firstPayload) metaEnd = zeros;
  }
  const lastEnd = payload.at(-1)?.[1] ?? metaEnd;
  const regions: Region[] = [
    { name: 'header', ranges: [[0, manifestStart]] },
    { name: 'manifest', ranges: [[manifestStart, manifestEnd]] },
    { name: 'v8-structure', ranges: [[metaStart, metaEnd]] },
    { name: 'array-payload', ranges: payload },
    { name: 'padding', ranges: padding },
  ];
  if (metaStart > manifestEnd)
    regions.push({ name: 'between-manifest-and-structure', ranges: [[manifestEnd, metaStart]] });
  if (lastEnd < file.length) regions.push({ name: 'trailer', ranges: [[lastEnd, file.length]] });
  return regions.filter((region) => region.ranges.length > 0);
}

/** The typed arrays of a value that a .bin crate stores out of line (at least 64 KiB). */
export function outOfLineArrays(value: unknown, minBytes = 64 * 1024): ArrayBufferView[] {
  const found = new Set<ArrayBufferView>();
  const seen = new Set<object>();
  const visit = (item: unknown): void => {
    if (typeof item !== 'object' || item === null || seen.has(item)) return;
    seen.add(item);
    if (ArrayBuffer.isView(item)) {
      if (item.byteLength >= minBytes && !(item instanceof DataView)) found.add(item);
      return;
    }
    if (item instanceof Map) {
      for (const [key, entry] of item) {
        visit(key);
        visit(entry);
      }
    } else if (item instanceof Set) for (const entry of item) visit(entry);
    for (const key of Object.keys(item)) visit((item as Record<string, unknown>)[key]);
  };
  visit(value);
  return [...found];
}
