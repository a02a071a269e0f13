/**
 * The regions of an HDF5 crate, found once per shape with tools we did not write: Debian's h5py
 * reports where each dataset's bytes are (contiguous offset, or every chunk's offset and size), and
 * the HDF5 structures are found by their signatures (superblock, OHDR object headers, TREE v1
 * B-tree chunk index nodes with their filter-mask and entries-used bytes, GCOL global heaps).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Region } from './mutations.ts';

export const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

const DATASET_STORAGE = `
import h5py, json, sys
out = []
def visit(name, obj):
    if not isinstance(obj, h5py.Dataset):
        return
    dsid = obj.id
    layout = dsid.get_create_plist().get_layout()
    entry = {"path": "/" + name, "ranges": []}
    if layout == h5py.h5d.CONTIGUOUS:
        offset = dsid.get_offset()
        if offset is not None:
            entry["ranges"].append([offset, offset + dsid.get_storage_size()])
        entry["layout"] = "contiguous"
    elif layout == h5py.h5d.CHUNKED:
        for i in range(dsid.get_num_chunks()):
            info = dsid.get_chunk_info(i)
            entry["ranges"].append([info.byte_offset, info.byte_offset + info.size])
        entry["layout"] = "chunked"
    else:
        entry["layout"] = "compact"
    out.append(entry)
with h5py.File(sys.argv[1], "r") as f:
    f.visititems(visit)
print(json.dumps(out))
`;

interface DatasetStorage {
  path: string;
  layout: 'contiguous' | 'chunked' | 'compact';
  ranges: [number, number][];
}

function signatureOffsets(file: Buffer, signature: string): number[] {
  const found: number[] = [];
  for (let at = file.indexOf(signature); at >= 0; at = file.indexOf(signature, at + 1)) found.push(at);
  return found;
}

/** A version-2 object header: prefix, chunk 0 and its checksum. */
function objectHeaderRange(file: Buffer, at: number): [number, number] {
  const flags = file[at + 5] as number;
  let cursor = at + 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
  const width = 1 << (flags & 3);
  const size = Number(file.readUIntLE(cursor, Math.min(width, 6)));
  cursor += width;
  return [at, Math.min(file.length, cursor + size + 4)];
}

/** A v1 B-tree node of a 1-D chunked dataset's index (keys: size, filter mask, 2 offsets). */
function btreeNode(file: Buffer, at: number) {
  const type = file[at + 4];
  const entries = file.readUInt16LE(at + 6);
  const keyBytes = type === 1 ? 4 + 4 + 8 * 2 : 8;
  const end = Math.min(file.length, at + 24 + entries * (keyBytes + 8) + keyBytes);
  const filterMasks: [number, number][] = [];
  if (type === 1) {
    for (let key = 0; key < entries; key++) {
      const keyAt = at + 24 + key * (keyBytes + 8);
      filterMasks.push([keyAt + 4, keyAt + 8]);
    }
  }
  return {
    node: [at, end] as [number, number],
    entriesUsed: [at + 6, at + 8] as [number, number],
    filterMasks,
  };
}

/** Every byte not in any region, as ranges (free space, alignment, structures not named above). */
function uncovered(size: number, regions: readonly Region[]): [number, number][] {
  const covered = regions.flatMap((region) => region.ranges).sort((a, b) => a[0] - b[0]);
  const gaps: [number, number][] = [];
  let cursor = 0;
  for (const [start, end] of covered) {
    if (start > cursor) gaps.push([cursor, start]);
    cursor = Math.max(cursor, end);
  }
  if (cursor < size) gaps.push([cursor, size]);
  return gaps;
}

/** `objectPath` is the fuzzed object's group: its structure dataset and arrays are named apart from the rest. */
export async function findH5Regions(path: string, bytes: Uint8Array, objectPath: string): Promise<Region[]> {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { stdout } = await run(PYTHON, ['-c', DATASET_STORAGE, path], { maxBuffer: 16 << 20 });
  const datasets = JSON.parse(stdout) as DatasetStorage[];
  const mine = (dataset: DatasetStorage) => dataset.path.startsWith(`${objectPath}/`);
  const structure = datasets.filter((d) => mine(d) && d.path === `${objectPath}/structure`);
  const arrays = datasets.filter((d) => mine(d) && d.path !== `${objectPath}/structure`);
  const nodes = signatureOffsets(file, 'TREE').map((at) => btreeNode(file, at));
  const regions: Region[] = [
    { name: 'superblock', ranges: [[0, file[8] !== undefined && file[8] >= 2 ? 48 : 96]] },
    {
      name: 'object-headers',
      ranges: signatureOffsets(file, 'OHDR').map((at) => objectHeaderRange(file, at)),
    },
    { name: 'btree-nodes', ranges: nodes.map((node) => node.node) },
    { name: 'btree-filter-masks', ranges: nodes.flatMap((node) => node.filterMasks) },
    { name: 'btree-entries-used', ranges: nodes.map((node) => node.entriesUsed) },
    {
      name: 'global-heap',
      ranges: signatureOffsets(file, 'GCOL').map((at) => [
        at,
        Math.min(file.length, at + Number(file.readBigUInt64LE(at + 8))),
      ]),
    },
    { name: 'structure-bytes', ranges: structure.flatMap((d) => d.ranges) },
    { name: 'chunk-data', ranges: arrays.filter((d) => d.layout === 'chunked').flatMap((d) => d.ranges) },
    {
      name: 'contiguous-data',
      ranges: arrays.filter((d) => d.layout === 'contiguous').flatMap((d) => d.ranges),
    },
    { name: 'other-object-data', ranges: datasets.filter((d) => !mine(d)).flatMap((d) => d.ranges) },
  ];
  regions.push({ name: 'other', ranges: uncovered(file.length, regions) });
  return regions.filter((region) => region.ranges.length > 0);
}
