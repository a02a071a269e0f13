import { CorruptFileError } from '../../errors.ts';
import type { StoredTypedArray } from '../../typed-arrays.ts';
import { chunkLength, forEachSlice } from '../format/array-dataset.ts';
import { readUint32ArrayAttribute } from '../format/attributes.ts';
import { type ChunkChecks, checksumOf, unitCount } from '../format/chunk-checksums.ts';
import { type StoredFilter, unreadableFilterReason } from '../format/codecs.ts';
import {
  constructorFor,
  TYPED_ARRAY_DTYPES,
  type TypedArrayName,
  typedArrayNameForDtype,
} from '../format/dtypes.ts';
import { ATTR_CRC32 } from '../format/layout.ts';
import { childPath, isLink, linkKind, TreeWalk } from '../format/object-tree.ts';
import type { H5Dataset, H5File, H5Group, H5Module } from '../h5wasm-runtime.ts';
import { CannotRewriteError } from '../hdf5-errors.ts';

/**
 * HDF5 (and h5wasm, which has no H5Ldelete) cannot remove an object and give its space back, so
 * delete and overwrite copy everything else into a fresh file. Numeric datasets are streamed in
 * slices with their chunking and compression, their checksums (hpc_crc32) verified on the way and
 * written anew for the copy's layout; groups, attributes and string datasets are copied whole.
 * Anything that cannot be copied faithfully (links, a group reached twice, virtual datasets,
 * damaged data) stops the rewrite with the original untouched.
 */
export interface RewriteContext {
  module: H5Module;
  fileName: string;
  /** The object being removed (for error messages). */
  removing: string;
  sliceBytes: number;
  /** Called when h5wasm failed inside an attribute read: its heap is not to be trusted after that. */
  distrust: () => void;
}

export function copyFileExcept(
  context: RewriteContext,
  source: H5File,
  target: H5File,
  excluded: ReadonlySet<string>,
): void {
  const walk = new TreeWalk(context.module, source.file_id, context.fileName);
  walk.enter('/', 0);
  copyAttributes(context, source, target, '/');
  copyChildren(context, walk, source, target, '/', excluded, 1);
}

function copyChildren(
  context: RewriteContext,
  walk: TreeWalk,
  source: H5File,
  target: H5File,
  path: string,
  excluded: ReadonlySet<string>,
  depth: number,
): void {
  const { module } = context;
  const refuse = (child: string, detail: string): never => {
    throw new CannotRewriteError(context.fileName, context.removing, child, detail);
  };
  for (const name of walk.children(path)) {
    const child = childPath(path, name);
    if (excluded.has(child)) continue;
    const kind = linkKind(module, source.file_id, child);
    if (isLink(kind)) refuse(child, `is a ${kind}`);
    if (kind === 'group') {
      if (!walk.enter(child, depth))
        refuse(child, 'is a second link to a group met before (or a link back up)');
      module.create_group(target.file_id, child, false);
      copyAttributes(context, source, target, child);
      copyChildren(context, walk, source, target, child, excluded, depth + 1);
    } else if (kind === 'dataset') {
      const fresh = copyDataset(context, source, target, child);
      copyAttributes(context, source, target, child, fresh ? ATTR_CRC32 : undefined);
    } else {
      refuse(child, `is a ${kind === 'datatype' ? 'named datatype' : kind}`);
    }
  }
}

function copyAttributes(
  context: RewriteContext,
  source: H5File,
  target: H5File,
  path: string,
  skip?: string,
): void {
  const from = (path === '/' ? source : source.get(path)) as H5Group;
  const to = (path === '/' ? target : target.get(path)) as H5Group;
  for (const name of context.module.get_attribute_names(source.file_id, path)) {
    if (name === skip) continue;
    let attribute: H5Group['attrs'][string];
    let value: unknown;
    try {
      attribute = from.attrs[name] as H5Group['attrs'][string];
      value = attribute.value;
    } catch (error) {
      context.distrust();
      throw new CannotRewriteError(
        context.fileName,
        context.removing,
        `${path} attribute ${name}`,
        `cannot be read (${(error as Error).message.split('\n')[0]})`,
      );
    }
    try {
      to.create_attribute(name, value as never, attribute.shape, attribute.dtype);
    } catch (error) {
      throw new CannotRewriteError(
        context.fileName,
        context.removing,
        `${path} attribute ${name}`,
        `has a type h5wasm cannot write (${(error as Error).message.split('\n')[0]})`,
      );
    }
  }
}

/** The one compressing filter to keep (h5wasm writes one; shuffle and fletcher32 are read-only there). */
function writableFilter(
  filters: readonly StoredFilter[],
): { compression: number; compression_opts: number[] } | undefined {
  const kept = filters.filter((filter) => filter.id !== 2 && filter.id !== 3);
  const last = kept.at(-1);
  return last ? { compression: last.id, compression_opts: [...last.cd_values] } : undefined;
}

/** Copies one dataset; true when it wrote fresh checksums for it (the source had hpc_crc32). */
function copyDataset(context: RewriteContext, source: H5File, target: H5File, path: string): boolean {
  const dataset = source.get(path) as H5Dataset;
  const meta = dataset.metadata;
  const refuse = (detail: string): never => {
    throw new CannotRewriteError(context.fileName, context.removing, path, detail);
  };
  if (meta.virtual_sources) refuse('is a virtual dataset (its data is in other files)');
  const filters = dataset.filters as StoredFilter[];
  const reason = unreadableFilterReason(filters);
  if (reason) refuse(`cannot be read (${reason})`);
  const filter = writableFilter(filters);
  const kind = typedArrayNameForDtype(meta);
  const slash = path.lastIndexOf('/');
  const parent = (slash === 0 ? target : target.get(path.slice(0, slash))) as H5Group;
  const name = path.slice(slash + 1);
  if (kind && meta.shape?.length === 1) {
    return copyArray(context, source.file_id, parent, name, path, { kind, meta, filter });
  }
  try {
    const value = dataset.value;
    parent.create_dataset({
      name,
      data: value as never,
      shape: meta.shape ?? null,
      dtype: dataset.dtype,
      chunks: meta.chunks ?? null,
      ...(filter && meta.chunks ? filter : {}),
    });
  } catch (error) {
    refuse(`cannot be copied by h5wasm (${(error as Error).message.split('\n')[0]})`);
  }
  return false;
}

/**
 * Streams a 1-D numeric dataset into the copy, a slice of whole chunks at a time, verifying the
 * source's checksums and computing the copy's (a contiguous dataset larger than a slice becomes
 * chunked: its one checksum becomes one per chunk).
 */
function copyArray(
  context: RewriteContext,
  fileId: bigint,
  parent: H5Group,
  name: string,
  path: string,
  source: {
    kind: TypedArrayName;
    meta: H5Dataset['metadata'];
    filter: { compression: number; compression_opts: number[] } | undefined;
  },
): boolean {
  const { module, sliceBytes } = context;
  const { kind, meta, filter } = source;
  const length = (meta.shape as number[])[0] as number;
  const ctor = constructorFor(kind);
  const bpe = ctor.BYTES_PER_ELEMENT;
  const chunk = meta.chunks?.[0] ?? chunkLength(length, bpe, 4 << 20);
  if (length === 0) {
    const chunks = meta.chunks ? [chunk] : null;
    parent.create_dataset({
      name,
      data: new ctor(0) as never,
      shape: [0],
      dtype: TYPED_ARRAY_DTYPES[kind],
      chunks,
    });
    return false;
  }
  const sliceElements = Math.max(chunk, Math.floor(sliceBytes / bpe / chunk) * chunk);
  const contiguous = !meta.chunks && length <= sliceElements;
  const checks = sourceChecks(
    module,
    fileId,
    path,
    length,
    meta.chunks ? chunk : Math.max(1, length),
    context,
  );
  const unit = contiguous ? Math.max(1, length) : chunk;
  const crcs = checks && new Uint32Array(unitCount(length, unit));
  const fail = (detail: string): never => {
    throw new CorruptFileError(
      context.fileName,
      `${detail}; removing ${context.removing} rewrites the file, which is unchanged (remove the damaged object first, or restore it)`,
    );
  };
  let written: H5Dataset | undefined;
  const read = { path, start: 0, count: length, chunk, bytesPerElement: bpe, checks };
  forEachSlice(module, fileId, read, sliceBytes, fail, (bytes, done, count) => {
    // A copy out of the heap first: the writes below may grow it and move its buffer.
    const part = new ctor(count) as StoredTypedArray;
    new Uint8Array(part.buffer).set(bytes);
    if (crcs) {
      for (let at = 0; at < count; at += unit)
        crcs[(done + at) / unit] = checksumOf(
          new Uint8Array(part.buffer, at * bpe, Math.min(unit, count - at) * bpe),
        );
    }
    if (!written) {
      parent.create_dataset({
        name,
        data: part as never,
        shape: [count],
        maxshape: [length],
        dtype: TYPED_ARRAY_DTYPES[kind],
        chunks: contiguous ? null : [chunk],
        ...(filter ?? {}),
      });
      if (count < length) module.resize_dataset(parent.file_id, path, [BigInt(length)]);
      written = parent.get(name) as H5Dataset;
      return;
    }
    written.write_slice([[done, done + count]], part);
  });
  if (crcs) (written as unknown as H5Group).create_attribute(ATTR_CRC32, crcs, [crcs.length], '<I');
  return crcs !== undefined;
}

/** The source's checksums, when it has them (objects of layout version 2). */
function sourceChecks(
  module: H5Module,
  fileId: bigint,
  path: string,
  length: number,
  unit: number,
  context: RewriteContext,
): ChunkChecks | undefined {
  if (!module.get_attribute_names(fileId, path).includes(ATTR_CRC32)) return undefined;
  const crcs = readUint32ArrayAttribute(
    module,
    fileId,
    path,
    ATTR_CRC32,
    unitCount(length, unit),
    (detail) => {
      throw new CannotRewriteError(
        context.fileName,
        context.removing,
        path,
        `has a damaged ${ATTR_CRC32} attribute (${detail})`,
      );
    },
  );
  return { crcs, firstUnit: 0, unit, length };
}
