import { CorruptFileError } from '../../errors.ts';
import type { H5File, H5Module } from '../h5wasm-runtime.ts';
import { ExternalReferenceError, quoteFromFile } from '../hdf5-errors.ts';
import { ATTR_VERSION } from './layout.ts';

/**
 * Walking a crate's links without being led elsewhere. A link is classified before anything
 * follows it (h5wasm's get() and get_type() follow soft and external links, which would open
 * another file), and walks remember each group by its address, so a group linked into itself is
 * visited once; depth and size are bounded (a bound hit is a CorruptFileError).
 */
export type LinkKind =
  | 'missing'
  | 'group'
  | 'dataset'
  | 'datatype'
  | 'soft link'
  | 'external link'
  | 'user-defined link';

/** Links of other kinds than hard links to groups, datasets and named datatypes. */
export function isLink(kind: LinkKind): boolean {
  return kind === 'soft link' || kind === 'external link' || kind === 'user-defined link';
}

/** A walk deeper than this many groups, or through more links than this, is refused. */
export const MAX_TREE_DEPTH = 256;
export const MAX_TREE_LINKS = 1_000_000;

/**
 * What the link at `path` is, without following it. Every group above it must have been checked
 * to be reached by hard links (the lookups pass through them).
 */
export function linkKind(module: H5Module, fileId: bigint, path: string): LinkKind {
  let external: { filename?: string };
  try {
    // HDF5 fails to look up the link's info only when there is no link there.
    external = module.get_external_link(fileId, path) as { filename?: string };
  } catch {
    return 'missing';
  }
  if (external.filename !== undefined) return 'external link';
  if (module.get_symbolic_link(fileId, path) !== null) return 'soft link';
  switch (module.get_type(fileId, path)) {
    case module.H5G_GROUP:
      return 'group';
    case module.H5G_DATASET:
      return 'dataset';
    case module.H5G_TYPE:
      return 'datatype';
    case module.H5G_LINK:
      return 'soft link';
    case -1:
      return 'missing';
    default:
      return 'user-defined link';
  }
}

/** Where a link sits on the way to a path, and what it is. */
export interface PathKind {
  kind: LinkKind;
  /** The first segment that is not a group (the path itself when everything above is one). */
  at: string;
}

/** What is at `path`, walking it segment by segment: 'missing' also when a parent is not a group. */
export function resolvePath(module: H5Module, file: H5File, path: string): PathKind {
  const segments = path.slice(1).split('/');
  let current = '';
  for (let i = 0; i < segments.length; i++) {
    current += `/${segments[i]}`;
    const kind = linkKind(module, file.file_id, current);
    const last = i === segments.length - 1;
    if (kind === 'group' && !last) continue;
    if (last || isLink(kind)) return { kind, at: current };
    return { kind: 'missing', at: current };
  }
  return { kind: 'missing', at: path };
}

/** The same, refusing links on the way (a link would make the object come from elsewhere). */
export function resolveOwnPath(
  module: H5Module,
  file: H5File,
  crate: string,
  objectPath: string,
  path: string,
): LinkKind {
  const { kind, at } = resolvePath(module, file, path);
  if (isLink(kind)) refuseLink(module, file.file_id, crate, objectPath, at, kind);
  return kind;
}

export function refuseLink(
  module: H5Module,
  fileId: bigint,
  crate: string,
  objectPath: string | undefined,
  path: string,
  kind: LinkKind,
): never {
  let target = '';
  if (kind === 'soft link') target = ` to ${quoteFromFile(String(module.get_symbolic_link(fileId, path)))}`;
  if (kind === 'external link') {
    const { filename, obj_path } = module.get_external_link(fileId, path) as {
      filename: string;
      obj_path: string;
    };
    target = ` to ${quoteFromFile(obj_path)} in another file (${quoteFromFile(filename)})`;
  }
  const article = kind === 'external link' ? 'an' : 'a';
  throw new ExternalReferenceError(crate, objectPath, path, `is ${article} ${kind}${target}`);
}

/** The object's address in the file: the same for every hard link to it. */
export function objectIdentity(module: H5Module, fileId: bigint, path: string): string {
  return Array.from(module.create_object_reference(fileId, path)).join(',');
}

export function isObjectGroup(module: H5Module, fileId: bigint, path: string): boolean {
  return module.get_attribute_names(fileId, path).includes(ATTR_VERSION);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/**
 * Counts what a walk has seen: each group once (by address), links and depth bounded. `enter`
 * is false for a group already seen (a second hard link, or a link back up: a cycle).
 */
export class TreeWalk {
  private readonly seen = new Set<string>();
  private links = 0;
  private readonly module: H5Module;
  private readonly fileId: bigint;
  private readonly crate: string;

  // No parameter properties: worker threads run these sources with type stripping only.
  constructor(module: H5Module, fileId: bigint, crate: string) {
    this.module = module;
    this.fileId = fileId;
    this.crate = crate;
  }

  enter(path: string, depth: number): boolean {
    if (depth > MAX_TREE_DEPTH)
      throw new CorruptFileError(this.crate, `groups are nested more than ${MAX_TREE_DEPTH} deep at ${path}`);
    const identity = objectIdentity(this.module, this.fileId, path);
    if (this.seen.has(identity)) return false;
    this.seen.add(identity);
    return true;
  }

  /** The child link names of a group (no link is followed), counted against the bound. */
  children(path: string): string[] {
    const names = this.module.get_names(this.fileId, path, false) as string[];
    this.links += names.length;
    if (this.links > MAX_TREE_LINKS)
      throw new CorruptFileError(this.crate, `the file holds more than ${MAX_TREE_LINKS} links`);
    return names;
  }
}

/** Every stored object path, depth-first in name order; object groups are not descended into; links are skipped. */
export function listObjectPaths(module: H5Module, file: H5File, crate: string): string[] {
  const found: string[] = [];
  const walk = new TreeWalk(module, file.file_id, crate);
  const visit = (path: string, depth: number): void => {
    if (!walk.enter(path, depth)) return;
    for (const name of walk.children(path)) {
      const child = childPath(path, name);
      if (linkKind(module, file.file_id, child) !== 'group') continue;
      if (isObjectGroup(module, file.file_id, child)) found.push(child);
      else visit(child, depth + 1);
    }
  };
  visit('/', 0);
  return found;
}

/**
 * Refuses an object whose group holds a soft, external or user-defined link anywhere below it:
 * everything it is made of must be inside it. (HDF5's recursive listing visits each group once.)
 */
export function checkOwnLinks(module: H5Module, file: H5File, crate: string, objectPath: string): void {
  const names = module.get_names(file.file_id, objectPath, true) as string[];
  if (names.length > MAX_TREE_LINKS)
    throw new CorruptFileError(crate, `the object holds more than ${MAX_TREE_LINKS} links`, { objectPath });
  for (const name of names) {
    const path = `${objectPath}/${name}`;
    const external = module.get_external_link(file.file_id, path) as { filename?: string };
    if (external.filename !== undefined)
      refuseLink(module, file.file_id, crate, objectPath, path, 'external link');
    if (module.get_symbolic_link(file.file_id, path) !== null)
      refuseLink(module, file.file_id, crate, objectPath, path, 'soft link');
  }
}
