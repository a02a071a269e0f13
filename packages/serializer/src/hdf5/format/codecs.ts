import { InvalidOptionError } from '@hpc/core';
/**
 * The compression codecs a stored array may use, by name. Each maps to one HDF5 filter (h5wasm
 * sets exactly one filter per dataset; shuffling happens inside Blosc).
 *
 * "portable" means tested to read bit-for-bit with stock Debian/conda h5py + hdf5plugin and h5dump.
 */
export const CODEC_NAMES = [
  'blosc-lz4',
  'blosc-zstd',
  'blosc-blosclz',
  'blosc2-lz4',
  'blosc2-zstd',
  'gzip',
  'none',
] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export const SHUFFLES = { none: 0, byte: 1, bit: 2 } as const;
export type Shuffle = keyof typeof SHUFFLES;

export const FILTER_DEFLATE = 1;
export const FILTER_BLOSC = 32001;
export const FILTER_BLOSC2 = 32026;

/** Blosc compressor codes (the same in Blosc 1 and 2). */
const BLOSC_COMPRESSORS = { blosclz: 0, lz4: 1, lz4hc: 2, snappy: 3, zlib: 4, zstd: 5 } as const;

interface CodecSpec {
  filterId: number;
  compressor?: number;
  defaultLevel: number;
  maxLevel: number;
  portable: boolean;
}

const CODECS: Record<CodecName, CodecSpec> = {
  'blosc-lz4': {
    filterId: FILTER_BLOSC,
    compressor: BLOSC_COMPRESSORS.lz4,
    defaultLevel: 5,
    maxLevel: 9,
    portable: true,
  },
  'blosc-zstd': {
    filterId: FILTER_BLOSC,
    compressor: BLOSC_COMPRESSORS.zstd,
    defaultLevel: 1,
    maxLevel: 9,
    portable: true,
  },
  'blosc-blosclz': {
    filterId: FILTER_BLOSC,
    compressor: BLOSC_COMPRESSORS.blosclz,
    defaultLevel: 5,
    maxLevel: 9,
    portable: true,
  },
  // Debian 12's HDF5 has no Blosc2 plugin; pip h5py + hdf5plugin >= 4 reads it.
  'blosc2-lz4': {
    filterId: FILTER_BLOSC2,
    compressor: BLOSC_COMPRESSORS.lz4,
    defaultLevel: 5,
    maxLevel: 9,
    portable: false,
  },
  'blosc2-zstd': {
    filterId: FILTER_BLOSC2,
    compressor: BLOSC_COMPRESSORS.zstd,
    defaultLevel: 1,
    maxLevel: 9,
    portable: false,
  },
  gzip: { filterId: FILTER_DEFLATE, defaultLevel: 4, maxLevel: 9, portable: true },
  none: { filterId: 0, defaultLevel: 0, maxLevel: 0, portable: true },
};

export interface CodecOptions {
  /** Default 'blosc-lz4' (fast, and readable wherever the Blosc HDF5 plugin is installed). */
  codec?: CodecName;
  /** Compression level 0-9 (defaults: blosc lz4 5, zstd 1, gzip 4). */
  level?: number;
  /** Blosc only: byte shuffle (default), bit shuffle, or none. */
  shuffle?: Shuffle;
}

/** What h5wasm's create_dataset needs, plus a label recorded in the file. */
export interface ResolvedCodec {
  name: CodecName;
  level: number;
  shuffle: Shuffle;
  /** Undefined for 'none'. */
  filter?: { compression: number; compressionOpts: number[] };
  /** e.g. "blosc-lz4 level=5 shuffle=byte" */
  label: string;
  portable: boolean;
}

export function isCodecName(name: unknown): name is CodecName {
  return typeof name === 'string' && (CODEC_NAMES as readonly string[]).includes(name);
}

/** Validates codec options; throws an InvalidOptionError naming the bad value and the allowed ones. */
export function resolveCodec(options: CodecOptions = {}): ResolvedCodec {
  const name = options.codec ?? 'blosc-lz4';
  if (!isCodecName(name))
    throw new InvalidOptionError({
      option: 'codec',
      value: name,
      allowed: `one of ${CODEC_NAMES.join(', ')}`,
      message: `unknown codec ${JSON.stringify(name)}; use one of ${CODEC_NAMES.join(', ')}`,
    });
  const spec = CODECS[name];
  const level = options.level ?? spec.defaultLevel;
  if (!Number.isInteger(level) || level < 0 || level > spec.maxLevel) {
    throw new InvalidOptionError({
      option: 'level',
      value: level,
      allowed: `an integer 0-${spec.maxLevel}`,
      message: `level ${level} is out of range for codec ${name}: use an integer 0-${spec.maxLevel}`,
    });
  }
  const shuffle = options.shuffle ?? 'byte';
  if (!(shuffle in SHUFFLES))
    throw new InvalidOptionError({
      option: 'shuffle',
      value: shuffle,
      allowed: 'none, byte or bit',
      message: `unknown shuffle ${JSON.stringify(shuffle)}; use none, byte or bit`,
    });
  const isBlosc = spec.compressor !== undefined;
  const label = isBlosc
    ? `${name} level=${level} shuffle=${shuffle}`
    : name === 'gzip'
      ? `gzip level=${level}`
      : 'none';
  if (name === 'none') return { name, level: 0, shuffle: 'none', label, portable: true };
  const compressionOpts = isBlosc
    ? [0, 0, 0, 0, level, SHUFFLES[shuffle], spec.compressor as number]
    : [level];
  return {
    name,
    level,
    shuffle: isBlosc ? shuffle : 'none',
    filter: { compression: spec.filterId, compressionOpts },
    label,
    portable: spec.portable,
  };
}

/** A filter found on a dataset, as h5wasm reports it. */
export interface StoredFilter {
  id: number;
  cd_values: number[];
}

/** Filters this reader decodes (with the plugins we ship); the Blosc ones only with safe compressors. */
const READABLE_FILTERS = new Map<number, string>([
  [FILTER_DEFLATE, 'gzip'],
  [2, 'shuffle'],
  [3, 'fletcher32'],
  [FILTER_BLOSC, 'blosc'],
  [FILTER_BLOSC2, 'blosc2'],
  [32004, 'lz4'],
  [32008, 'bitshuffle'],
  [32015, 'zstd'],
  [307, 'bzip2'],
]);

const BLOSC_COMPRESSOR_NAMES = ['blosclz', 'lz4', 'lz4hc', 'snappy', 'zlib', 'zstd'];
const SHUFFLE_NAMES = ['noshuffle', 'shuffle', 'bitshuffle'];

/** A dataset's filter pipeline in words, e.g. 'blosc lz4 level=5 shuffle' or 'gzip level=1'; 'none' without filters. */
export function describeFilters(filters: readonly StoredFilter[]): string {
  if (filters.length === 0) return 'none';
  return filters
    .map((filter) => {
      const name = READABLE_FILTERS.get(filter.id) ?? `filter ${filter.id}`;
      if (filter.id === FILTER_BLOSC || filter.id === FILTER_BLOSC2) {
        const [, , , , level, shuffle, compressor] = filter.cd_values;
        const codec = BLOSC_COMPRESSOR_NAMES[compressor ?? -1] ?? `compressor ${compressor}`;
        return `${name} ${codec} level=${level} ${SHUFFLE_NAMES[shuffle ?? -1] ?? ''}`.trim();
      }
      if (filter.id === FILTER_DEFLATE) return `gzip level=${filter.cd_values[0]}`;
      return name;
    })
    .join(' + ');
}

/**
 * Why a dataset's filters cannot be read safely, or undefined when they can. Blosc's zlib codec
 * aborts the whole wasm module inside h5wasm (and snappy is not compiled in), so refuse them up
 * front instead of crashing.
 */
export function unreadableFilterReason(filters: readonly StoredFilter[]): string | undefined {
  for (const filter of filters) {
    const name = READABLE_FILTERS.get(filter.id);
    if (!name)
      return `HDF5 filter ${filter.id} is not available in @hpc/serializer's wasm HDF5 (readable: ${[...READABLE_FILTERS.values()].join(', ')})`;
    if (filter.id === FILTER_BLOSC || filter.id === FILTER_BLOSC2) {
      const compressor = filter.cd_values[6];
      if (compressor === BLOSC_COMPRESSORS.zlib || compressor === BLOSC_COMPRESSORS.snappy) {
        const codec = compressor === BLOSC_COMPRESSORS.zlib ? 'zlib' : 'snappy';
        return `it is compressed with ${name}+${codec}, which the wasm Blosc cannot decode; rewrite it with blosc lz4 or zstd (e.g. h5py + hdf5plugin.Blosc(cname='lz4'))`;
      }
    }
  }
  return undefined;
}
