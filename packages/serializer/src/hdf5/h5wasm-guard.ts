/// <reference path="./accel/webassembly.d.ts" />
import { resolve, sep } from 'node:path';
import { Hdf5DiagnosticReport, WorkerSafeInternalError } from './accel/worker-errors.ts';
import { globalHeapDamage, startsGlobalHeap, superblockLengthSize } from './file/global-heap-check.ts';

/**
 * What every h5wasm instance runs under (installed once per instance by h5wasm-runtime.ts):
 *
 * - **Files.** HDF5 opens files through the Emscripten FS (the Node build maps it onto host paths).
 *   An instance may open only the files of the operations running in it (`allow`) and its plugin
 *   folders; any other open fails and is recorded (`takeRefusals`). That is the one place external
 *   raw storage (H5Pset_external, invisible through h5wasm's API), external links and virtual
 *   datasets would reach another file, so a loader reads only its own file.
 * - **Errors.** h5wasm's "throwing" error handler throws out of its C++ code, which then never
 *   closes the HDF5 ids it had opened: the file stays open inside HDF5 (measured: 137 descriptors
 *   left after 108 failed loads), and HDF5 re-uses that stale open file when the same inode is
 *   opened again (a file rewritten in place: 392 of 400 loads returned wrong data). So HDF5's own
 *   printing handler stays, its output is captured per call, and each h5wasm function throws that
 *   text only after its C++ code has cleaned up.
 * - **Damage HDF5 would not survive.** A global heap collection is checked before HDF5 reads it
 *   (file/global-heap-check.ts): a damaged one fails the read, and the damage is kept for the
 *   CorruptFileError (`takeDamage`), where HDF5 would have looped forever.
 * - **Write failures.** The errno of a failed write (ENOSPC...) is kept for the FileWriteError.
 * - **Traps.** A wasm trap (out-of-bounds access, abort) leaves HDF5's state undefined: the
 *   instance is marked `poisoned`, and the runtime replaces it.
 */
interface FsStream {
  fd: number;
  path: string;
}

interface EmscriptenFs {
  open(path: string, flags: string | number, mode?: number): FsStream;
  read(stream: FsStream, buffer: Int8Array, offset: number, length: number, position?: number): number;
  write(stream: FsStream, ...rest: unknown[]): number;
  ftruncate(fd: number, length: number): void;
  close(stream: FsStream): void;
  streams: (FsStream | null | undefined)[];
  ErrnoError: new (errno: number) => Error;
}

/** The h5wasm 0.10.3 functions (hdf5_util.cc bindings) that call into HDF5. */
const HDF5_FUNCTIONS = [
  'open',
  'close_file',
  'get_libver_bounds',
  'get_keys',
  'get_names',
  'get_types',
  'get_symbolic_link',
  'get_external_link',
  'get_type',
  'get_attribute_names',
  'get_attribute_metadata',
  'get_dataset_metadata',
  'get_datatype_metadata',
  'get_dataset_filters',
  'refresh_dataset',
  'get_dataset_data',
  'set_dataset_data',
  'get_attribute_data',
  'reclaim_vlen_memory',
  'reclaim_vlen_memory_count',
  'create_group',
  'create_dataset',
  'resize_dataset',
  'create_attribute',
  'delete_attribute',
  'create_vlen_str_attribute',
  'create_vlen_str_dataset',
  'create_soft_link',
  'create_hard_link',
  'create_external_link',
  'flush',
  'get_plugin_search_paths',
  'insert_plugin_search_path',
  'remove_plugin_search_path',
  'create_object_reference',
  'get_referenced_name',
] as const;

/** Emscripten's errnos for "permission denied" (a refused open) and "I/O error" (a damaged read). */
const EMSCRIPTEN_EACCES = 2;
const EMSCRIPTEN_EIO = 29;
const GLOBAL_HEAP_MIN_READ = 4096;
/** Standard streams (0-2) are the process's own. */
const FIRST_FILE_FD = 3;

export class H5Guard {
  /** A wasm trap or a file HDF5 could not let go of: this instance must not be used again. */
  poisoned = false;
  /** What is being read ("dataset /obj/arrays/0"), to name it when an open is refused. */
  activity: string | undefined;
  private readonly fs: EmscriptenFs;
  private readonly folders: string[];
  /** Files of the operations in progress (resolved path -> how many hold it). */
  private readonly allowed = new Map<string, number>();
  private refused: { path: string; activity: string | undefined }[] = [];
  private writeFailure: { path: string; code: string } | undefined;
  private damage: { path: string; detail: string } | undefined;
  /** The superblock's size of lengths per descriptor, seen when HDF5 read it. */
  private readonly lengthSizes = new Map<number, number>();
  private captured: string[] | undefined;

  constructor(module: object, pluginFolders: readonly string[]) {
    const target = module as Record<string, unknown> & { FS: EmscriptenFs };
    this.fs = target.FS;
    this.folders = pluginFolders.map((folder) => resolve(folder));
    (target.deactivate_throwing_error_handler as () => void)();
    this.hookFileSystem();
    for (const name of HDF5_FUNCTIONS) {
      const call = target[name] as (...args: unknown[]) => unknown;
      target[name] = (...args: unknown[]) => this.run(() => call(...args));
    }
  }

  /** Lets the instance open `paths` until the returned function is called. */
  allow(paths: readonly string[]): () => void {
    const resolved = paths.map((path) => resolve(path));
    for (const path of resolved) this.allowed.set(path, (this.allowed.get(path) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const path of resolved) {
        const count = (this.allowed.get(path) ?? 1) - 1;
        if (count > 0) this.allowed.set(path, count);
        else this.allowed.delete(path);
      }
    };
  }

  /** Opens refused since the last call (forgotten once taken). */
  takeRefusals(): { path: string; activity: string | undefined }[] {
    const refused = this.refused;
    this.refused = [];
    return refused;
  }

  /** The last failed write's path and errno code, if any (forgotten once taken). */
  takeWriteFailure(): { path: string; code: string } | undefined {
    const failure = this.writeFailure;
    this.writeFailure = undefined;
    return failure;
  }

  /** The damage a read was refused for, if any (forgotten once taken). */
  takeDamage(): { path: string; detail: string } | undefined {
    const damage = this.damage;
    this.damage = undefined;
    return damage;
  }

  /** Whether the instance still holds `path` open while no operation uses it (HDF5 kept it). */
  holdsUnused(path: string): boolean {
    const resolved = resolve(path);
    return !this.allowed.has(resolved) && this.streams().some((stream) => resolve(stream.path) === resolved);
  }

  /** Closes every descriptor the instance holds on `path` (after a failed write); all when undefined. */
  closeStreams(path?: string): void {
    const resolved = path === undefined ? undefined : resolve(path);
    for (const stream of this.streams()) {
      if (resolved !== undefined && resolve(stream.path) !== resolved) continue;
      try {
        this.fs.close(stream);
      } catch {
        // Already closed underneath.
      }
    }
  }

  private streams(): FsStream[] {
    return this.fs.streams.filter((stream): stream is FsStream => !!stream && stream.fd >= FIRST_FILE_FD);
  }

  private isAllowed(path: string): boolean {
    const resolved = resolve(path);
    return (
      this.allowed.has(resolved) ||
      this.folders.some((folder) => resolved === folder || resolved.startsWith(folder + sep))
    );
  }

  private hookFileSystem(): void {
    const fs = this.fs;
    const { open, read, write, ftruncate } = fs;
    const record = (stream: FsStream | undefined, error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') this.writeFailure = { path: stream?.path ?? '', code };
    };
    fs.open = (path, flags, mode) => {
      if (!this.isAllowed(path)) {
        this.refused.push({ path, activity: this.activity });
        throw new fs.ErrnoError(EMSCRIPTEN_EACCES);
      }
      try {
        return open.call(fs, path, flags, mode);
      } catch (error) {
        if (typeof flags === 'number' ? flags & 0o100 : /[wa]/.test(flags)) record({ fd: -1, path }, error);
        throw error;
      }
    };
    fs.read = (stream, buffer, offset, length, position) => {
      const count = read.call(fs, stream, buffer, offset, length, position);
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, count);
      const lengthSize = superblockLengthSize(bytes);
      if (lengthSize !== undefined) this.lengthSizes.set(stream.fd, lengthSize);
      // HDF5 reads a collection at its address, at least H5HG_MINSIZE (4 KiB) at once; only 8-byte
      // lengths (every writer's default) are walked.
      if (
        typeof position === 'number' &&
        length >= GLOBAL_HEAP_MIN_READ &&
        startsGlobalHeap(bytes) &&
        this.lengthSizes.get(stream.fd) === 8
      ) {
        const readAt = (at: number, size: number) => {
          const piece = new Int8Array(size);
          const got = read.call(fs, stream, piece, 0, size, position + at);
          return new Uint8Array(piece.buffer, 0, got);
        };
        const detail = globalHeapDamage(bytes, readAt);
        if (detail) {
          this.damage = {
            path: stream.path,
            detail: `the global heap collection at byte ${position} is damaged: ${detail}`,
          };
          throw new fs.ErrnoError(EMSCRIPTEN_EIO);
        }
      }
      return count;
    };
    fs.write = (stream, ...rest) => {
      if (this.captured && stream.fd === 2) {
        const [buffer, offset, length] = rest as [Int8Array, number, number];
        this.captured.push(Buffer.from(buffer.buffer, buffer.byteOffset + offset, length).toString('utf8'));
        return length;
      }
      try {
        return write.call(fs, stream, ...rest);
      } catch (error) {
        record(stream, error);
        throw error;
      }
    };
    fs.ftruncate = (fd, length) => {
      try {
        ftruncate.call(fs, fd, length);
      } catch (error) {
        record(fs.streams[fd] ?? undefined, error);
        throw error;
      }
    };
  }

  /**
   * One h5wasm call with HDF5's error report captured: the report becomes the thrown Error's
   * message (the text translateHdf5Error reads), thrown after the C++ code returned.
   */
  private run(call: () => unknown): unknown {
    const outer = this.captured;
    const captured: string[] = [];
    this.captured = captured;
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError || isStackOverflow(error)) this.poisoned = true;
      const report = captured.join('');
      throw report.includes('HDF5-DIAG') && !this.poisoned
        ? new Hdf5DiagnosticReport(report, { cause: error })
        : error;
    } finally {
      this.captured = outer;
    }
    const report = captured.join('');
    if (report.includes('HDF5-DIAG')) throw new Hdf5DiagnosticReport(report);
    return result;
  }
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

const guards = new WeakMap<object, H5Guard>();

export function installGuard(module: object, pluginFolders: readonly string[]): H5Guard {
  const guard = new H5Guard(module, pluginFolders);
  guards.set(module, guard);
  return guard;
}

/** The guard of an h5wasm module (every module loaded by h5wasm-runtime.ts has one). */
export function guardOf(module: object): H5Guard {
  const guard = guards.get(module);
  if (!guard)
    throw new WorkerSafeInternalError('this h5wasm module was not loaded through h5wasm-runtime.ts');
  return guard;
}
