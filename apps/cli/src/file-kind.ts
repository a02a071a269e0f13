import { isHpcError } from '@hpc/core';
import { detectFileFormat, type FileFormat } from '@hpc/serializer';
import { InputFileError } from './cli-errors.ts';

/** What a file is, from its bytes (not its name): an @hpc binary crate, HDF5, or neither. */
export async function detectFileKind(file: string): Promise<{ kind: FileFormat; size: number }> {
  try {
    const { format, size } = await detectFileFormat(file);
    return { kind: format, size };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = isHpcError(error, 'FileMissingError')
      ? 'file not found'
      : code === 'EISDIR'
        ? 'is a folder, not a file'
        : `cannot open (${code ?? (error as Error).message})`;
    throw new InputFileError(`${file}: ${what}`, file, { cause: error });
  }
}
