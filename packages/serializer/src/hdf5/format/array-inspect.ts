import { CorruptFileError } from '../../errors.ts';
import type { H5Dataset, H5File, H5Module } from '../h5wasm-runtime.ts';
import { ExternalReferenceError, quoteFromFile, UnsupportedCodecError } from '../hdf5-errors.ts';
import type { DatasetRead } from './array-dataset.ts';
import { readUint32ArrayAttribute } from './attributes.ts';
import { type ChunkChecks, unitCount } from './chunk-checksums.ts';
import { type StoredFilter, unreadableFilterReason } from './codecs.ts';
import { matchesDtype, type TypedArrayName } from './dtypes.ts';
import { ATTR_CRC32 } from './layout.ts';
import { checkReadRange } from './layout-reader.ts';
import { isLink, linkKind, refuseLink } from './object-tree.ts';

/**
 * Everything the file claims about one 1-D dataset, checked before anything is allocated: it is
 * a dataset whose data is in this file, 1-D, of the expected kind and length, under the size
 * limits, with filters we decode and (version 2) one CRC-32 per chunk.
 */
export interface ReadLimits {
  /** Refuse to allocate any one array larger than this. */
  maxArrayBytes: number;
  /** What a filter may shrink data by at most: declared bytes / ratio must fit in the file. */
  maxCompressionRatio: number;
  sliceBytes: number;
  /** The crate's size in bytes. */
  fileBytes: number;
}

export interface InspectContext {
  crate: string;
  objectPath: string;
  limits: ReadLimits;
}

export interface InspectedArray {
  read: DatasetRead;
  /** The whole dataset's uncompressed bytes, as declared. */
  declaredBytes: number;
  /** Whether a filter compresses it (else its bytes are all in the file). */
  compressed: boolean;
}

export interface ArrayClaim {
  /** Relative to the object: 'structure', 'arrays/0'. */
  name: string;
  kind: TypedArrayName;
  /** The length the structure says it has (undefined for the structure itself). */
  length: number | undefined;
  /** The part to read (default: all). */
  range?: { start: number; count: number };
  /** Read its hpc_crc32 checksums (false for the structure, whose CRC is on the group, and for version 1). */
  checksummed: boolean;
}

/** Default chunk-aligned step for a contiguous dataset's slices. */
const CONTIGUOUS_STEP_BYTES = 4 << 20;

/**
 * Inspects the dataset. Links inside the object were refused before (readObjectHeader), so its
 * path leads through the object's own groups.
 */
export function inspectArrayDataset(
  module: H5Module,
  file: H5File,
  context: InspectContext,
  claim: ArrayClaim,
): InspectedArray {
  const { crate, objectPath, limits } = context;
  const path = `${objectPath}/${claim.name}`;
  const corrupt = (detail: string): never => {
    throw new CorruptFileError(crate, `dataset ${path} ${detail}`, { objectPath });
  };
  const kind = linkKind(module, file.file_id, path);
  if (isLink(kind)) refuseLink(module, file.file_id, crate, objectPath, path, kind);
  if (kind !== 'dataset') corrupt(kind === 'missing' ? 'is missing' : `is a ${kind}, not a dataset`);
  const dataset = file.get(path) as H5Dataset;
  const meta = dataset.metadata;
  if (meta.virtual_sources) {
    const files = meta.virtual_sources.map((source) => quoteFromFile(source.file_name)).join(', ');
    throw new ExternalReferenceError(
      crate,
      objectPath,
      path,
      `is a virtual dataset (its data is in ${files})`,
    );
  }
  const shape = meta.shape;
  if (shape?.length !== 1) corrupt(`has shape ${JSON.stringify(shape)}, not one dimension`);
  const length = (shape as number[])[0] as number;
  if (claim.length !== undefined && length !== claim.length)
    corrupt(`holds ${length} elements, but the structure says ${claim.length}`);
  if (!matchesDtype(claim.kind, meta))
    corrupt(`has a dtype (class ${meta.type}, ${meta.size} bytes) that cannot hold a ${claim.kind}`);
  const { start, count } = checkReadRange(claim.range?.start, claim.range?.count, length, {
    crate,
    objectPath,
    what: `dataset ${path}`,
  });
  if (count * meta.size > limits.maxArrayBytes) {
    corrupt(
      `would need ${count * meta.size} bytes, more than maxArrayBytes (${limits.maxArrayBytes}); raise the limit if the file is trusted`,
    );
  }
  const filters = dataset.filters as StoredFilter[];
  const reason = unreadableFilterReason(filters);
  if (reason) throw new UnsupportedCodecError(crate, objectPath, path, reason);
  const chunk = meta.chunks?.[0] ?? Math.max(1, Math.floor(CONTIGUOUS_STEP_BYTES / meta.size));
  // A contiguous (or compact) dataset is one checksummed unit.
  const unit = meta.chunks ? chunk : Math.max(1, length);
  const checks = claim.checksummed
    ? readChunkChecks(module, file.file_id, path, length, unit, limits, corrupt)
    : undefined;
  return {
    read: { path, start, count, chunk, bytesPerElement: meta.size, checks },
    declaredBytes: length * meta.size,
    compressed: filters.some((filter) => filter.id !== 2 && filter.id !== 3),
  };
}

function readChunkChecks(
  module: H5Module,
  fileId: bigint,
  path: string,
  length: number,
  unit: number,
  limits: ReadLimits,
  corrupt: (detail: string) => never,
): ChunkChecks {
  const units = unitCount(length, unit);
  if (!module.get_attribute_names(fileId, path).includes(ATTR_CRC32))
    corrupt(`has no ${ATTR_CRC32} attribute (the checksums of its chunks)`);
  if (units * 4 > limits.fileBytes)
    corrupt(`declares ${units} chunks, more checksums than the ${limits.fileBytes}-byte file can hold`);
  const crcs = readUint32ArrayAttribute(module, fileId, path, ATTR_CRC32, units, (detail) =>
    corrupt(`attribute ${ATTR_CRC32} ${detail} (one per chunk)`),
  );
  return { crcs, firstUnit: 0, unit, length };
}

/**
 * Refuses datasets that declare more than the file can hold, before anything is allocated: an
 * unfiltered dataset's bytes are all in the file, a compressed one's shrink by at most
 * `maxCompressionRatio` (unwritten chunks would read as zeros: a 6 KB file declared 2 GiB).
 */
export function checkDeclaredSizes(context: InspectContext, arrays: readonly InspectedArray[]): void {
  const { crate, objectPath, limits } = context;
  let plain = 0;
  let compressed = 0;
  for (const array of arrays) {
    if (array.compressed) compressed += array.declaredBytes;
    else plain += array.declaredBytes;
  }
  if (plain > limits.fileBytes) {
    throw new CorruptFileError(
      crate,
      `its uncompressed datasets declare ${plain} bytes, more than the ${limits.fileBytes}-byte file holds: it is truncated or damaged`,
      { objectPath },
    );
  }
  if (plain + compressed / limits.maxCompressionRatio > limits.fileBytes) {
    throw new CorruptFileError(
      crate,
      `its compressed datasets declare ${compressed} bytes, more than the ${limits.fileBytes}-byte file can hold at up to ${limits.maxCompressionRatio}x compression; if the file is trusted and compresses better, raise maxCompressionRatio`,
      { objectPath },
    );
  }
}
