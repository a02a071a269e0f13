import { type FileHandle, open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { InputFileError } from './cli-errors.ts';

/** Bytes read per piece: a 560 MB log streams through this much memory, never as one string. */
export const LOG_CHUNK_BYTES = 1024 * 1024;

/**
 * Where the printing of one log file has got to: `hpc logs` prints a log in pieces from here, and
 * `--follow` prints only what was appended since the last read. A file that got shorter or was
 * replaced (another inode) is read again from its start. A UTF-8 character split between two reads
 * is kept back until its last byte arrives.
 */
export class LogCursor {
  #offset: number;
  #inode: number | undefined;
  #decoder = new StringDecoder('utf8');

  constructor(
    readonly file: string,
    offset = 0,
  ) {
    this.#offset = offset;
  }

  get offset(): number {
    return this.#offset;
  }

  /** Starts after the current end of the file (after a --tail), so only new text is printed. */
  async skipToEnd(): Promise<void> {
    const handle = await openIfExists(this.file);
    if (!handle) return;
    try {
      const stats = await handle.stat();
      this.#offset = stats.size;
      this.#inode = stats.ino;
    } finally {
      await handle.close();
    }
  }

  /**
   * Prints what the file holds past the cursor, piece by piece, and moves the cursor to its end.
   * Returns 'restarted' when the file was truncated or replaced and printing began again at 0.
   */
  async printNew(print: (text: string) => void): Promise<'read' | 'restarted' | 'missing'> {
    const handle = await openIfExists(this.file);
    if (!handle) return 'missing';
    try {
      const stats = await handle.stat();
      let outcome: 'read' | 'restarted' = 'read';
      const replaced = this.#inode !== undefined && stats.ino !== this.#inode;
      if (stats.size < this.#offset || replaced) {
        this.#offset = 0;
        this.#decoder = new StringDecoder('utf8');
        outcome = 'restarted';
      }
      this.#inode = stats.ino;
      await this.#readTo(handle, stats.size, print);
      return outcome;
    } finally {
      await handle.close();
    }
  }

  /** The characters still held back at the end (an incomplete UTF-8 sequence), once the log is done. */
  flush(print: (text: string) => void): void {
    const rest = this.#decoder.end();
    this.#decoder = new StringDecoder('utf8');
    if (rest) print(rest);
  }

  async #readTo(handle: FileHandle, end: number, print: (text: string) => void): Promise<void> {
    const buffer = Buffer.allocUnsafe(Math.min(LOG_CHUNK_BYTES, Math.max(end - this.#offset, 1)));
    while (this.#offset < end) {
      const want = Math.min(buffer.length, end - this.#offset);
      const { bytesRead } = await handle.read(buffer, 0, want, this.#offset);
      if (bytesRead === 0) break; // truncated while reading: the next call starts over
      this.#offset += bytesRead;
      const text = this.#decoder.write(buffer.subarray(0, bytesRead));
      if (text) print(text);
    }
  }
}

async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new InputFileError(
      `cannot read the log ${file} (${code ?? (error as Error).message}); check its permissions`,
      file,
      { cause: error },
    );
  }
}
