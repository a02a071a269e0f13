import type { CrateAccess } from './crate-access.ts';
import { updateFileAtomically } from './file/atomic-update.ts';
import { arrayWriter } from './format/array-writer.ts';
import { checksumsEnabled } from './format/chunk-checksums.ts';
import { arrayDatasetName } from './format/layout.ts';
import { prepareParents, writeFileHeader, writeObjectGroup } from './format/layout-writer.ts';
import { normalizeObjectPath } from './format/object-path.ts';
import { isObjectGroup, resolvePath } from './format/object-tree.ts';
import { encodeStructure } from './format/tagged-json-encode.ts';
import { loadH5Runtime, loadH5WriteRuntime } from './h5wasm-runtime.ts';
import { ObjectExistsError } from './hdf5-errors.ts';
import {
  datasetThreshold,
  type ObjectSerializeOptions,
  resolveChunkBytes,
  resolveCodecAt,
} from './object-options.ts';

/** ObjectSerializer's write side: serialize and delete, each one atomic update of the file (file/). */
export class ObjectWriter {
  private readonly access: CrateAccess;

  constructor(access: CrateAccess) {
    this.access = access;
  }

  async serialize(value: unknown, objectPath: string, options: ObjectSerializeOptions = {}): Promise<void> {
    const { access } = this;
    const path = normalizeObjectPath(access.file, objectPath);
    const codec = resolveCodecAt(access.file, path, options);
    const chunkBytes = resolveChunkBytes(access.file, path, options);
    const threshold = datasetThreshold(options);

    // Everything that can be refused is refused before the file is touched.
    const encoding = encodeStructure(value, {
      datasetThresholdBytes: threshold,
      datasetName: arrayDatasetName,
    });
    const arrays = {
      codec,
      chunkBytes,
      sliceBytes: access.options.sliceBytes,
      checksums: checksumsEnabled(),
    };
    const writer = await loadH5WriteRuntime();

    await updateFileAtomically(
      access.file,
      access.updateOptions(),
      async ({ tempPath, existed, copyOriginal }) => {
        let replacing = false;
        if (existed) {
          const { module } = writer;
          replacing = access.withFile(writer, access.file, 'r', path, 'inspect', (file) => {
            const { kind } = resolvePath(module, file, path);
            if (kind === 'missing') return false;
            if (kind === 'group' && isObjectGroup(module, file.file_id, path)) {
              if (!options.overwrite) throw new ObjectExistsError(access.file, path);
              return true;
            }
            throw new ObjectExistsError(access.file, path, `a ${kind} that is not an @hpc object is there`);
          });
        }
        // Rewriting decodes and re-encodes every other object: the reading instance does that.
        if (replacing) access.rewriteWithout(await loadH5Runtime(), tempPath, path);
        else if (existed) await copyOriginal();
        const mode = existed ? 'a' : 'w';
        const { module } = writer;
        await access.withFile(writer, tempPath, mode, path, 'write the object', async (file) => {
          if (!existed) writeFileHeader(file);
          prepareParents(module, file, access.file, path);
          await writeObjectGroup(module, file, {
            objectPath: path,
            encoding,
            arrays,
            writeArray: arrayWriter(writer, arrays, access.options.writeThreads),
          });
        });
      },
    );
  }

  async delete(objectPath: string): Promise<boolean> {
    const { access } = this;
    const path = normalizeObjectPath(access.file, objectPath);
    if (!(await access.fileExists())) return false;
    const runtime = await loadH5Runtime();
    return updateFileAtomically(access.file, access.updateOptions(), ({ tempPath }) => {
      const present = access.holdsObject(runtime, path);
      if (!present) throw new DeleteAbsent();
      access.rewriteWithout(runtime, tempPath, path);
      return true;
    }).catch((error: unknown) => {
      if (error instanceof DeleteAbsent) return false;
      throw error;
    });
  }
}

class DeleteAbsent extends Error {}
