import type { StoredTypedArray } from '../typed-arrays.ts';
import { chunkLength, readArrayDataset } from './array-dataset.ts';
import { type StoredFilter, unreadableFilterReason } from './codecs.ts';
import { constructorFor, TYPED_ARRAY_DTYPES, typedArrayNameForDtype } from './dtypes.ts';
import type { H5Dataset, H5File, H5Group, H5Module } from './h5wasm-runtime.ts';
import { CannotRewriteError } from './hdf5-errors.ts';

/**
 * HDF5 (and h5wasm, which has no H5Ldelete) cannot remove an object and give its space back, so
 * delete and overwrite copy everything else into a fresh file. Numeric datasets are streamed in
 * slices with their chunking and compression; groups, attributes and string datasets are copied
 * whole. Anything that cannot be copied faithfully stops the rewrite with the original untouched.
 */
export interface RewriteContext {
  module: H5Module;
  fileName: string;
  /** The object being removed (for error messages). */
  removing: string;
  sliceBytes: number;
}

export function copyFileExcept(
  context: RewriteContext,
  source: H5File,
  target: H5File,
  excluded: ReadonlySet<string>,
): void {
  copyAttributes(context, source, target, '/');
  copyChildren(context, source, target, '/', excluded);
}

function copyChildren(
  context: RewriteContext,
  source: H5File,
  target: H5File,
  path: string,
  excluded: ReadonlySet<string>,
): void {
  const { module } = context;
  const group = source.get(path) as H5Group;
  for (const name of group.keys()) {
    const child = path === '/' ? `/${name}` : `${path}/${name}`;
    if (excluded.has(child)) continue;
    const type = module.get_type(source.file_id, child);
    if (type === module.H5O_TYPE_GROUP) {
      module.create_group(target.file_id, child, false);
      copyAttributes(context, source, target, child);
      copyChildren(context, source, target, child, excluded);
    } else if (type === module.H5O_TYPE_DATASET) {
      copyDataset(context, source, target, child);
      copyAttributes(context, source, target, child);
    } else {
      throw new CannotRewriteError(context.fileName, context.removing, child, 'is a link or named datatype');
    }
  }
}

function copyAttributes(context: RewriteContext, source: H5File, target: H5File, path: string): void {
  const from = (path === '/' ? source : source.get(path)) as H5Group;
  const to = (path === '/' ? target : target.get(path)) as H5Group;
  for (const [name, attribute] of Object.entries(from.attrs)) {
    try {
      to.create_attribute(name, attribute.value as never, attribute.shape, attribute.dtype);
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

function copyDataset(context: RewriteContext, source: H5File, target: H5File, path: string): void {
  const { module } = context;
  const dataset = source.get(path) as H5Dataset;
  const meta = dataset.metadata;
  const filters = dataset.filters as StoredFilter[];
  const reason = unreadableFilterReason(filters);
  if (reason)
    throw new CannotRewriteError(context.fileName, context.removing, path, `cannot be read (${reason})`);
  const filter = writableFilter(filters);
  const kind = typedArrayNameForDtype(meta);
  const shape = meta.shape;
  const slash = path.lastIndexOf('/');
  const parent = (slash === 0 ? target : target.get(path.slice(0, slash))) as H5Group;
  const name = path.slice(slash + 1);
  if (kind && shape && shape.length === 1) {
    const length = shape[0] as number;
    const bpe = constructorFor(kind).BYTES_PER_ELEMENT;
    const chunk = meta.chunks?.[0] ?? chunkLength(length, bpe, 4 << 20);
    const slice = Math.max(chunk, Math.floor(context.sliceBytes / bpe / chunk) * chunk);
    const first = Math.min(length, slice);
    const buffer = new (constructorFor(kind))(first) as StoredTypedArray;
    readArrayDataset(
      module,
      source.file_id,
      path,
      kind,
      { start: 0, count: first, chunk },
      context.sliceBytes,
      buffer,
    );
    parent.create_dataset({
      name,
      data: buffer as never,
      shape: [first],
      maxshape: [length],
      dtype: TYPED_ARRAY_DTYPES[kind],
      chunks: meta.chunks ? [chunk] : first === length ? null : [chunk],
      ...(filter ?? {}),
    });
    if (first === length) return;
    module.resize_dataset(target.file_id, path, [BigInt(length)]);
    const written = target.get(path) as H5Dataset;
    for (let start = first; start < length; start += slice) {
      const count = Math.min(slice, length - start);
      const part = readArrayDataset(
        module,
        source.file_id,
        path,
        kind,
        { start, count, chunk },
        context.sliceBytes,
      );
      written.write_slice([[start, start + count]], part);
    }
    return;
  }
  try {
    const value = dataset.value;
    parent.create_dataset({
      name,
      data: value as never,
      shape: shape ?? null,
      dtype: dataset.dtype,
      chunks: meta.chunks ?? null,
      ...(filter && meta.chunks ? filter : {}),
    });
  } catch (error) {
    throw new CannotRewriteError(
      context.fileName,
      context.removing,
      path,
      `cannot be copied by h5wasm (${(error as Error).message.split('\n')[0]})`,
    );
  }
}
