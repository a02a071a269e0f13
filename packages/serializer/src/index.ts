export { type ArrayEntry, type CrateManifest, FORMAT_VERSION } from './bin/binary-format.ts';
export {
  type BundleInfo,
  type BundleReader,
  openBundle,
  readBundleEntry,
  readBundleInfo,
} from './bin/bundle-reader.ts';
export { type WrittenBundle, writeBundle } from './bin/bundle-writer.ts';
export {
  CorruptFileError,
  FileMissingError,
  FileReadError,
  ForbiddenKeyError,
  InsufficientMemoryError,
  NotASerializedFileError,
  UnknownTypeError,
  UnsupportedFormatVersionError,
  UnsupportedValueError,
} from './errors.ts';
export { detectFileFormat, type FileFormat } from './file-format.ts';
export { CODEC_NAMES, type CodecName, type CodecOptions, type Shuffle } from './hdf5/format/codecs.ts';
export type { StoredArrayInfo, StoredObjectInfo } from './hdf5/format/layout-reader.ts';
export type { PropertyPath } from './hdf5/format/property-path.ts';
export { hdf5PluginFolders } from './hdf5/h5wasm-runtime.ts';
export {
  CannotRewriteError,
  FileLockedError,
  Hdf5Error,
  InvalidObjectPathError,
  ObjectExistsError,
  ObjectNotFoundError,
  UnsupportedCodecError,
} from './hdf5/hdf5-errors.ts';
export {
  type ObjectSerializeOptions,
  ObjectSerializer,
  type ObjectSerializerOptions,
  type ReadArrayOptions,
} from './hdf5/object-serializer.ts';
export { type ClassInstance, type GraphSummary, reviveInstances, summarizeGraph } from './object-graph.ts';
export { type DeserializeOptions, type SerializeOptions, Serializer } from './serializer.ts';
export {
  type StoredTypedArray,
  TYPED_ARRAYS,
  typedArrayCode,
  typedArrayConstructor,
} from './typed-arrays.ts';
