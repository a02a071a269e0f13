export { type CrateManifest, FORMAT_VERSION } from './binary-format.ts';
export {
  CorruptFileError,
  FileMissingError,
  ForbiddenKeyError,
  NotASerializedFileError,
  UnknownTypeError,
  UnsupportedFormatVersionError,
  UnsupportedValueError,
} from './errors.ts';
export { type ClassInstance, type GraphSummary, reviveInstances, summarizeGraph } from './object-graph.ts';
export { type SerializeOptions, Serializer } from './serializer.ts';
