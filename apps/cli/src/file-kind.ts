import { isHpcError } from '@hpc/core';
import { detectFileFormat, type FileFormat } from '@hpc/serializer';
import { InputFileError } from './cli-errors.ts';

/** What a file is, from its bytes (not its name): an @hpc binary crate, HDF5, or neither. */
export async function detectFileKind(file: string): Promise<{ kind: FileFormat; size: number }> {
  try {
    const { format, size } = await detectFileFormat(file);
    return { kind: format, size };
  } catch (error) {
    // The reader's typed errors already say what the path is ("it is a folder"): keep their words.
    const code = (error as NodeJS.ErrnoException).code;
    const what = isHpcError(error, 'FileMissingError')
      ? 'file not found'
      : isHpcError(error, 'NotASerializedFileError', 'FileReadError')
        ? detailAfter(error.message, file)
        : `cannot open (${code ?? (error as Error).message})`;
    throw new InputFileError(`${file}: ${what}`, file, { cause: error });
  }
}

/** '<file> is not an @hpc serialized file: it is a folder' → 'it is a folder'. */
function detailAfter(message: string, file: string): string {
  const colon = message.startsWith(file) ? message.indexOf(': ') : -1;
  return colon >= 0 ? message.slice(colon + 2) : message;
}
