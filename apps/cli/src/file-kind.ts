import { stat } from 'node:fs/promises';
import { errnoCode, isHpcError } from '@hpc/core';
import { detectFileFormat, type FileFormat } from '@hpc/serializer';
import { InputFileError } from './cli-errors.ts';

/** What a file is, from its bytes (not its name): an @hpc binary crate, HDF5, or neither. */
export async function detectFileKind(file: string): Promise<{ kind: FileFormat; size: number }> {
  try {
    const { format, size } = await detectFileFormat(file);
    return { kind: format, size };
  } catch (error) {
    throw new InputFileError(`${file}: ${await whyNotOpened(file, error)}`, file, { cause: error });
  }
}

/** The reader's refusal in the words of a command about one file. */
async function whyNotOpened(file: string, error: unknown): Promise<string> {
  if (isHpcError(error, 'FileMissingError')) return 'file not found';
  // The reader refuses anything but a regular file before reading a byte; say which it is.
  if (isHpcError(error, 'NotASerializedFileError')) {
    const info = await stat(file).catch(() => undefined);
    return info?.isDirectory()
      ? 'is a folder, not a file'
      : 'is not a regular file (a pipe, device or socket), so it is not read';
  }
  return `cannot open (${errnoCode(error) ?? (error as Error).message})`;
}
