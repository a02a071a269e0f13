import { access, chmod, constants, copyFile, open, unlink } from 'node:fs/promises';
import {
  asFileWriteError,
  type CrateDigest,
  crateDigestOf,
  createCrateDigester,
  createCrateHash,
  errnoCode,
  writeFileAtomic,
} from '@hpc/core';
import { FileMissingError } from '@hpc/serializer';
import { CrateChangedError } from './errors.ts';

/** Bytes moved per read: large enough that syscalls cost nothing next to the hashing. */
const CHUNK_BYTES = 4 << 20;
/** What copyFile says when the file system cannot share blocks between files (ext4, tmpfs, NFS). */
const NO_REFLINK = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY', 'EPERM']);

type FileHandle = Awaited<ReturnType<typeof open>>;

/**
 * Copies a crate to `to` (a new file, created with `mode`) and returns the SHA-256 of what was
 * written. Where the file system can reflink (btrfs, XFS) the copy shares blocks and moves no
 * bytes, and the digest is one read of it; elsewhere the bytes are hashed as they are copied.
 * Never a hard link: a link would let edits of the original (or its owner) change a queued job.
 */
export async function copyCrate(from: string, to: string, mode: number): Promise<CrateDigest> {
  try {
    await copyFile(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
  } catch (error) {
    if (!NO_REFLINK.has(errnoCode(error) ?? '')) throw await asCopyError(error, from, to);
    return copyHashing(from, to, mode);
  }
  // copyFile gives the copy the original's mode; the job folder (0700) hides it meanwhile.
  await chmod(to, mode);
  return digestOfFile(to);
}

/** Writes a crate given as pieces (Serializer.encode) atomically, hashing the pieces on the way. */
export async function writeCrate(
  pieces: readonly Uint8Array[],
  to: string,
  mode: number,
): Promise<CrateDigest> {
  const hash = createCrateHash();
  for (const piece of pieces) hash.update(piece);
  try {
    await writeFileAtomic(to, pieces, { mode });
  } catch (error) {
    throw asFileWriteError(error, to, 'write the crate');
  }
  return crateDigestOf(hash);
}

/** The SHA-256 of a file, in one streaming read (a small file without loading node:crypto). */
export async function digestOfFile(file: string): Promise<CrateDigest> {
  const handle = await openCrate(file);
  try {
    const digester = createCrateDigester();
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      digester.update(buffer.subarray(0, bytesRead));
    }
    return digester.digest();
  } finally {
    await handle.close();
  }
}

/** Throws CrateChangedError unless `file` still has the digest recorded at submission. */
export async function verifyCrate(file: string, expected: CrateDigest): Promise<void> {
  const actual = await digestOfFile(file);
  if (actual !== expected) throw new CrateChangedError(file, expected, actual);
}

async function copyHashing(from: string, to: string, mode: number): Promise<CrateDigest> {
  const source = await openCrate(from);
  let target: FileHandle | undefined;
  try {
    target = await open(to, 'wx', mode).catch((error: unknown) => {
      throw asFileWriteError(error, to, 'create');
    });
    // open()'s mode passes through the umask: set it exactly.
    await target.chmod(mode);
    // Two buffers: the next chunk is read while this one is written, and hashed meanwhile.
    const hash = createCrateHash();
    const buffers = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
    let turn = 0;
    let chunk = await readChunk(source, buffers[turn] as Buffer);
    while (chunk.byteLength > 0) {
      const writing = writeAll(target, chunk, to);
      hash.update(chunk);
      turn ^= 1;
      const next = readChunk(source, buffers[turn] as Buffer);
      await Promise.all([writing, next]);
      chunk = await next;
    }
    await target.close();
    target = undefined;
    return crateDigestOf(hash);
  } catch (error) {
    if (target) {
      await target.close().catch(() => {});
      await unlink(to).catch(() => {});
    }
    throw error;
  } finally {
    await source.close();
  }
}

async function readChunk(handle: FileHandle, buffer: Buffer): Promise<Buffer> {
  const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null);
  return buffer.subarray(0, bytesRead);
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, file: string): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    try {
      offset += (await handle.write(chunk, offset, chunk.byteLength - offset)).bytesWritten;
    } catch (error) {
      throw asFileWriteError(error, file, 'copy the crate to');
    }
  }
}

async function openCrate(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new FileMissingError(file, { cause: error });
    throw error;
  }
}

/** ENOENT names the original when it is gone, else the job folder (removed while staging). */
async function asCopyError(error: unknown, from: string, to: string): Promise<unknown> {
  if (errnoCode(error) === 'ENOENT' && !(await exists(from)))
    return new FileMissingError(from, { cause: error });
  return asFileWriteError(error, to, 'copy the crate to');
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
