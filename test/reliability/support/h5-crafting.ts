/**
 * Hostile HDF5 crates, made the way an attacker would: a crate written by ObjectSerializer, then
 * changed with Debian's h5py. Where the layout has checksum attributes (hpc_structure_crc32, and
 * hpc_crc32 per chunk, as the package README documents) they are recomputed from the data h5py
 * reads through the hostile feature, so a reader can only refuse the feature itself.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PYTHON } from './h5-regions.ts';

const run = promisify(execFile);

const CRAFT = `
import h5py, json, sys, zlib
import numpy as np

def crc_of_chunks(ds, length):
    if ds.chunks is None:
        step = max(1, length)
    else:
        step = ds.chunks[0]
    crcs = []
    for start in range(0, max(1, length), step):
        block = ds[start:min(length, start + step)]
        crcs.append(zlib.crc32(np.ascontiguousarray(block).astype(block.dtype.newbyteorder('<')).tobytes()))
    return crcs

def fix_crcs(g):
    if 'hpc_structure_crc32' in g.attrs and 'structure' in g:
        g.attrs['hpc_structure_crc32'] = np.uint32(structure_crc(g['structure']))
    if 'arrays' in g and isinstance(g['arrays'], h5py.Group):
        for name in g['arrays']:
            ds = g['arrays'][name]
            if isinstance(ds, h5py.Dataset) and 'hpc_crc32' in ds.attrs:
                ds.attrs['hpc_crc32'] = np.array(crc_of_chunks(ds, ds.shape[0]), dtype='<u4')

def structure_crc(ds):
    crc = 0
    step = 1 << 24
    for start in range(0, ds.shape[0], step):
        crc = zlib.crc32(ds[start:start + step].tobytes(), crc)
    return crc

def set_structure(g, text):
    del g['structure']
    g.create_dataset('structure', data=np.frombuffer(text, dtype='u1'))

def replace_array(g, make):
    old = g['arrays/0']
    n, dt, kind = old.shape[0], old.dtype, old.attrs['hpc_typed_array']
    attrs = {k: old.attrs[k] for k in old.attrs}
    del g['arrays/0']
    make(g['arrays'], '0', n, dt)
    for k, v in attrs.items():
        g['arrays/0'].attrs[k] = v

def set_length(g, name, length):
    parsed = json.loads(g['structure'][()].tobytes())
    def walk(node):
        if isinstance(node, dict):
            if node.get('$') == 'ta' and node.get('ds') == name:
                node['n'] = length
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(parsed)
    set_structure(g, json.dumps(parsed).encode())

kind, crate, obj = sys.argv[1:4]
args = sys.argv[4:]
with h5py.File(crate, 'r+') as f:
    g = f[obj]
    if kind == 'external-array':
        replace_array(g, lambda parent, name, n, dt: parent.create_dataset(name, shape=(n,), dtype=dt, external=[(args[0], 0, n * dt.itemsize)]))
    elif kind == 'external-structure':
        size = int(args[1])
        del g['structure']
        g.create_dataset('structure', shape=(size,), dtype='u1', external=[(args[0], 0, size)])
    elif kind == 'virtual-array':
        def virtual(parent, name, n, dt):
            layout = h5py.VirtualLayout(shape=(n,), dtype=dt)
            layout[:] = h5py.VirtualSource(args[0], args[1], shape=(n,))
            parent.create_virtual_dataset(name, layout)
        replace_array(g, virtual)
    elif kind == 'external-link-structure':
        del g['structure']
        g['structure'] = h5py.ExternalLink(args[0], args[1])
    elif kind == 'soft-link-structure':
        del g['structure']
        g['structure'] = h5py.SoftLink(args[0])
    elif kind == 'soft-link-array':
        del g['arrays/0']
        g['arrays/0'] = h5py.SoftLink(args[0])
    elif kind == 'cycle-at-root':
        loop = f.create_group('loop')
        loop['again'] = loop
    elif kind == 'cycle-in-object':
        g['arrays']['again'] = g
    elif kind == 'huge-array':
        elements = int(args[0])
        replace_array(g, lambda parent, name, n, dt: parent.create_dataset(name, shape=(elements,), dtype=dt, chunks=(1 << 20,)))
        set_length(g, 'arrays/0', elements)
        ds = g['arrays/0']
        if 'hpc_crc32' in ds.attrs:
            full = zlib.crc32(bytes(8 << 20))
            chunks = [full] * (elements >> 20)
            if elements % (1 << 20):
                chunks.append(zlib.crc32(bytes((elements % (1 << 20)) * 8)))
            ds.attrs['hpc_crc32'] = np.array(chunks, dtype='<u4')
    elif kind == 'process-on-array':
        set_structure(g, b'{"$":"obj","c":"reliability/FitProcess","a":[1,2,3]}')
        g.attrs['hpc_type'] = 'reliability/FitProcess'
        g.attrs['hpc_types'] = '["reliability/FitProcess"]'
        del g['arrays']
    elif kind == 'deep-structure':
        depth = int(args[0])
        # A tag at the core: decoding walks it (plain JSON is returned as JSON.parse built it).
        set_structure(g, b'[' * depth + b'{"$":"u"}' + b']' * depth)
    elif kind == 'big-structure':
        size = int(args[0]) << 20
        del g['structure']
        ds = g.create_dataset('structure', shape=(size,), dtype='u1', chunks=(1 << 22,), compression='gzip', compression_opts=1)
        block = np.full(64 << 20, ord(' '), dtype='u1')
        block[:2] = np.frombuffer(b'{}', dtype='u1')
        ds[0:len(block)] = block
        block[:2] = ord(' ')
        for start in range(len(block), size, len(block)):
            ds[start:min(size, start + len(block))] = block[:min(size, start + len(block)) - start]
    else:
        raise SystemExit('unknown case ' + kind)
    if kind != 'huge-array':
        fix_crcs(g)
`;

export type H5Craft =
  | 'external-array'
  | 'external-structure'
  | 'virtual-array'
  | 'external-link-structure'
  | 'soft-link-structure'
  | 'soft-link-array'
  | 'cycle-at-root'
  | 'cycle-in-object'
  | 'huge-array'
  | 'process-on-array'
  | 'deep-structure'
  | 'big-structure';

/** Changes the object at `objectPath` of `crate` in place; `cwd` is where relative paths in `args` resolve. */
export async function craftH5(
  kind: H5Craft,
  crate: string,
  objectPath: string,
  args: string[] = [],
  cwd?: string,
) {
  await run(PYTHON, ['-c', CRAFT, kind, crate, objectPath, ...args], {
    maxBuffer: 16 << 20,
    ...(cwd ? { cwd } : {}),
  });
}
