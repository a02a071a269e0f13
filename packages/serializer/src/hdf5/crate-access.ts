import { stat } from 'node:fs/promises';
import { FileMissingError } from '../errors.ts';
import type { AtomicUpdateOptions } from './file/atomic-update.ts';
import { copyFileExcept } from './file/file-rewrite.ts';
import { isObjectGroup, resolvePath } from './format/object-tree.ts';
import { type SessionRequest, withH5File } from './h5-session.ts';
import { type H5File, type H5Runtime, retireRuntime } from './h5wasm-runtime.ts';
import type { ResolvedSerializerOptions } from './object-options.ts';

/** What ObjectReader and ObjectWriter share: the crate's path and options, and sessions on it. */
export class CrateAccess {
  readonly file: string;
  readonly options: ResolvedSerializerOptions;

  constructor(file: string, options: ResolvedSerializerOptions) {
    this.file = file;
    this.options = options;
  }

  /** An h5wasm session on `path` (the crate or its temp copy), errors naming the crate. */
  withFile<T>(
    runtime: H5Runtime,
    path: string,
    mode: SessionRequest['mode'],
    objectPath: string | undefined,
    operation: string,
    use: (file: H5File) => T,
  ): T {
    return withH5File(runtime, { path, mode, crate: this.file, objectPath, operation }, use);
  }

  /** Whether the file has an object (a group we wrote, reached by hard links) at `path`. */
  holdsObject(runtime: H5Runtime, path: string): boolean {
    const { module } = runtime;
    return this.withFile(runtime, this.file, 'r', path, 'look up the object', (file) => {
      return resolvePath(module, file, path).kind === 'group' && isObjectGroup(module, file.file_id, path);
    });
  }

  /** Copies every object but `objectPath` into `tempPath` (deletes and overwrites). */
  rewriteWithout(runtime: H5Runtime, tempPath: string, objectPath: string): void {
    this.withFile(runtime, this.file, 'r', objectPath, 'copy the file', (source) => {
      this.withFile(runtime, tempPath, 'w', objectPath, 'write the copy', (target) => {
        copyFileExcept(
          {
            module: runtime.module,
            fileName: this.file,
            removing: objectPath,
            sliceBytes: this.options.sliceBytes,
            distrust: () => retireRuntime(runtime),
          },
          source,
          target,
          new Set([objectPath]),
        );
      });
    });
  }

  updateOptions(): AtomicUpdateOptions {
    return { timeoutMs: this.options.lockTimeoutMs, durable: this.options.durable };
  }

  async fileExists(): Promise<boolean> {
    try {
      await stat(this.file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new FileMissingError(this.file, { cause: error });
    }
  }
}
