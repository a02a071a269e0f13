import { CorruptFileError, NotASerializedFileError, UnsupportedFormatVersionError } from '../errors.ts';
import { typedArrayConstructor } from '../typed-arrays.ts';
import {
  type ArrayEntry,
  alignUp,
  type CrateManifest,
  decodeHeader,
  FORMAT_VERSION,
  HDF5_MAGIC,
  HEADER_BYTES,
  type Header,
  MAGIC,
  MAX_CRC32,
  UNCHECKED_FORMAT_VERSION,
} from './binary-format.ts';

/**
 * Everything a .bin reader checks about the layout, before it allocates anything that the file
 * itself does not bound: the header alone, then the manifest's shape, then the position of every
 * array against the file's exact length.
 */
export interface LayoutOptions {
  /**
   * Read a format-version-1 file, written by @hpc before array checksums existed: its array bytes
   * cannot be verified. Off by default; meant for converting old files once (read, write again).
   */
  acceptVersion1WithoutChecksums?: boolean;
}

export const LEGACY_OPTION = 'acceptVersion1WithoutChecksums';

/** The header, checked on its own: magic, version, flags, reserved, and lengths within the file. */
export function checkHeader(file: string, head: Buffer, size: number, options: LayoutOptions): Header {
  if (head.byteLength < MAGIC.byteLength || !head.subarray(0, 8).equals(MAGIC)) {
    if (head.byteLength >= 8 && head.subarray(0, 8).equals(HDF5_MAGIC))
      throw new NotASerializedFileError(file, 'it is an HDF5 file; open it with ObjectSerializer');
    throw new NotASerializedFileError(
      file,
      size === 0 ? 'the file is empty' : 'it does not start with the @hpc magic bytes',
    );
  }
  if (head.byteLength < HEADER_BYTES) throw new CorruptFileError(file, `truncated header (${size} bytes)`);
  const header = decodeHeader(head);
  if (header.version === 0)
    throw new CorruptFileError(file, "header field 'version' is 0, which no @hpc writes");
  if (header.version > FORMAT_VERSION)
    throw new UnsupportedFormatVersionError(file, header.version, FORMAT_VERSION);
  if (header.version === UNCHECKED_FORMAT_VERSION && !options.acceptVersion1WithoutChecksums)
    throw new UnsupportedFormatVersionError(file, header.version, FORMAT_VERSION, undefined, {
      legacyOption: LEGACY_OPTION,
    });
  for (const [field, value] of [
    ['flags', header.flags],
    ['reserved', header.reserved],
  ] as const) {
    if (value !== 0)
      throw new CorruptFileError(file, `header field '${field}' is 0x${value.toString(16)}, but must be 0`);
  }
  if (header.manifestLength + header.metaLength > size - HEADER_BYTES) {
    throw new CorruptFileError(
      file,
      `the header's lengths (manifest ${header.manifestLength}, structure ${header.metaLength} bytes) point past the end of the ${size}-byte file (truncated or damaged)`,
    );
  }
  return header;
}

/** The manifest, checked entry by entry: a wrong shape, type code or length is refused here. */
export function parseManifest(file: string, bytes: Buffer, version: number): CrateManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new CorruptFileError(file, 'the manifest is not valid JSON', { cause: error });
  }
  const bad = (what: string) => new CorruptFileError(file, `the manifest's ${what}`);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('is not an object');
  const { rootType, types, arrays, createdAt } = parsed as Record<string, unknown>;
  if (rootType !== undefined && typeof rootType !== 'string') throw bad('rootType is not a string');
  if (!Array.isArray(types) || !types.every((type) => typeof type === 'string'))
    throw bad('types is not a list of class ids');
  if (typeof createdAt !== 'string') throw bad('createdAt is not a string');
  if (!Array.isArray(arrays)) throw bad('arrays is not a list');
  const entryLength = version === UNCHECKED_FORMAT_VERSION ? 3 : 4;
  for (const [index, entry] of arrays.entries()) checkEntry(file, entry, index, entryLength);
  return { rootType, types, arrays: arrays as ArrayEntry[], createdAt };
}

function checkEntry(file: string, entry: unknown, index: number, entryLength: number): void {
  const bad = (what: string) => new CorruptFileError(file, `array ${index} in the manifest ${what}`);
  if (
    !Array.isArray(entry) ||
    entry.length !== entryLength ||
    !entry.every((field) => Number.isSafeInteger(field) && field >= 0)
  )
    throw bad(`is not ${entryLength} non-negative integers: ${JSON.stringify(entry)?.slice(0, 80)}`);
  const [code, , byteLength, crc] = entry as number[];
  const kind = typedArrayConstructor(code as number);
  if (!kind) throw bad(`has the unknown typed array code ${code}`);
  if ((byteLength as number) % kind.BYTES_PER_ELEMENT !== 0)
    throw bad(`is ${byteLength} bytes long, not a whole number of ${kind.name} elements`);
  if (crc !== undefined && crc > MAX_CRC32) throw bad(`has a CRC-32 beyond 32 bits (${crc})`);
}

/** An out-of-line array where the file holds it. */
export interface ArrayPlacement {
  entry: ArrayEntry;
  /** Absolute position in the file. */
  position: number;
}

/**
 * Where each array is, once the whole layout is known to be exact: the first at the data start,
 * each next one at the previous one's end rounded up to 8, the last one ending the file. So the
 * arrays cannot overlap or leave unread bytes, and their sizes together are bounded by the file.
 */
export function placeArrays(
  file: string,
  manifest: CrateManifest,
  preambleEnd: number,
  size: number,
): ArrayPlacement[] {
  if (manifest.arrays.length === 0) {
    if (preambleEnd !== size)
      throw new CorruptFileError(
        file,
        `${size - preambleEnd} bytes follow the structure, but no array is listed`,
      );
    return [];
  }
  const dataStart = alignUp(preambleEnd);
  const placements: ArrayPlacement[] = [];
  let expected = 0;
  let end = 0;
  for (const [index, entry] of manifest.arrays.entries()) {
    const [, offset, byteLength] = entry;
    if (offset !== expected) {
      throw new CorruptFileError(
        file,
        `array ${index} is listed at offset ${offset}, but must start at ${expected}: arrays follow one another in file order, 8-byte aligned, without gaps or overlap`,
      );
    }
    end = offset + byteLength;
    if (dataStart + end > size)
      throw new CorruptFileError(
        file,
        `array ${index} (${byteLength} bytes at offset ${offset}) ends past the end of the file`,
      );
    placements.push({ entry, position: dataStart + offset });
    expected = alignUp(end);
  }
  if (dataStart + end !== size)
    throw new CorruptFileError(
      file,
      `the arrays end at byte ${dataStart + end}, but the file has ${size} bytes`,
    );
  return placements;
}
