#!/usr/bin/env python3
"""Read objects that @hpc/serializer's ObjectSerializer stored in an HDF5 file, with h5py only.

    python3 read_hpc_h5.py crates.h5                 # list the stored objects
    python3 read_hpc_h5.py crates.h5 /my_process     # print one object (arrays summarised)

    from read_hpc_h5 import list_objects, load
    obj = load("crates.h5", "/my_process")           # dicts, lists, numpy arrays, ...
    obj["values"]                                    # numpy array, read from its Blosc dataset

Every byte is checked against the CRC-32s the writer stored (layout version 2): the structure
text's (`hpc_structure_crc32` on the object's group) and each chunk's of every array (`hpc_crc32`
on the dataset). A mismatch raises ChecksumError. Objects of version 1 carry no checksums and are
refused unless `load(..., allow_unverified=True)`.

Blosc-compressed datasets need the Blosc HDF5 plugin: `apt install hdf5-filter-plugin-blosc-serial`
(Debian/Ubuntu) or `pip install hdf5plugin` and `import hdf5plugin` before reading.
Layout: see packages/serializer/README.md ("HDF5 layout").
"""
import base64
import datetime
import json
import sys
import zlib

import h5py
import numpy as np

FORMAT_VERSION = 2
DTYPES = {
    "Int8Array": "<i1", "Uint8Array": "<u1", "Uint8ClampedArray": "<u1", "Int16Array": "<i2",
    "Uint16Array": "<u2", "Int32Array": "<i4", "Uint32Array": "<u4", "Float32Array": "<f4",
    "Float64Array": "<f8", "BigInt64Array": "<i8", "BigUint64Array": "<u8",
}
NUMBERS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf"), "-0": -0.0}


class ChecksumError(ValueError):
    """Stored bytes that do not match the CRC-32 the writer recorded for them: the file is damaged."""


def _check(data, expected, what):
    if zlib.crc32(data) != int(expected):
        raise ChecksumError(f"checksum mismatch in {what}: the file is damaged")


def _verified_array(dataset, where):
    """The dataset's values, each chunk checked against its CRC-32 (a contiguous dataset is one)."""
    data = dataset[()]
    if "hpc_crc32" not in dataset.attrs:
        raise ChecksumError(f"{where}: dataset {dataset.name} has no hpc_crc32 checksums")
    crcs = np.asarray(dataset.attrs["hpc_crc32"], dtype="<u4").reshape(-1)
    length = data.shape[0]
    unit = dataset.chunks[0] if dataset.chunks else max(length, 1)
    if len(crcs) != (0 if length == 0 else -(-length // unit)):
        raise ChecksumError(f"{where}: dataset {dataset.name} has {len(crcs)} checksums for its chunks")
    raw = np.ascontiguousarray(data, dtype=data.dtype.newbyteorder("<")).view(np.uint8)
    step = unit * data.dtype.itemsize
    for index, expected in enumerate(crcs):
        _check(raw[index * step:(index + 1) * step], expected, f"{where}: chunk {index} of {dataset.name}")
    return data


class HpcInstance(dict):
    """A stored instance of a registered JS class: its fields, plus the class id in .type_id."""

    def __init__(self, type_id):
        super().__init__()
        self.type_id = type_id


def list_objects(path):
    found = []

    def visit(name, item):
        if isinstance(item, h5py.Group) and "hpc_format_version" in item.attrs:
            found.append("/" + name)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return sorted(found)


def _header_text(group):
    """What hpc_header_crc32 covers: [hpc_type, hpc_types, hpc_codec, hpc_created_at] as compact JSON
    (these strings live in HDF5's global heap, which HDF5 does not checksum)."""
    def text(name):
        value = group.attrs.get(name)
        return value.decode("utf-8") if isinstance(value, bytes) else value
    fields = [text(name) for name in ("hpc_type", "hpc_types", "hpc_codec", "hpc_created_at")]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load(path, object_path, allow_unverified=False):
    with h5py.File(path, "r") as f:
        group = f[object_path]
        where = f"{path}:{object_path}"
        version = int(group.attrs["hpc_format_version"])
        if version > FORMAT_VERSION:
            raise ValueError(f"{where} has format version {version}; this reader knows {FORMAT_VERSION}")
        verify = version >= 2
        if not verify and not allow_unverified:
            raise ValueError(f"{where} has format version {version}, without checksums: pass allow_unverified=True")
        text = group["structure"][()].tobytes()
        if verify:
            _check(text, group.attrs["hpc_structure_crc32"], f"{where}: the structure")
            _check(_header_text(group), group.attrs["hpc_header_crc32"], f"{where}: the attributes")
        tree = json.loads(text.decode("utf-8"))
        objects = []  # the k-th object met depth-first, for {"$":"ref","i":k}

        def keep(value):
            objects.append(value)
            return value

        def array(node, dtype):
            if "ds" in node:
                dataset = group[node["ds"]]
                return _verified_array(dataset, where) if verify else dataset[()]
            return np.frombuffer(base64.b64decode(node["b64"]), dtype=dtype).copy()

        def fill(target, fields):
            for key, item in fields.items():
                target[key] = decode(item)
            return target

        def decode(node):
            if isinstance(node, list):
                out = keep([])
                out.extend(decode(item) for item in node)
                return out
            if not isinstance(node, dict):
                return node
            tag = node.get("$")
            if tag is None:
                return fill(keep({}), node)
            if tag == "ref":
                return objects[node["i"]]
            if tag == "u":
                return None
            if tag == "num":
                return NUMBERS[node["v"]]
            if tag == "big":
                return int(node["v"])
            if tag == "esc":
                return fill(keep({}), node["v"])
            if tag == "obj":
                instance = keep(HpcInstance(node["c"]))
                if "v" in node:
                    return fill(instance, node["v"])
                body = node.get("a", node.get("s", node.get("m")))
                instance["items"] = [decode(item) for item in body]
                return instance
            if tag == "map":
                out = keep({})
                for key, item in node["e"]:
                    key = decode(key)
                    out[key if isinstance(key, (str, int, float, bool, type(None))) else id(key)] = decode(item)
                return out
            if tag == "set":
                out = keep([])
                out.extend(decode(item) for item in node["e"])
                return out
            if tag == "ta":
                return keep(array(node, DTYPES[node["t"]]))
            if tag in ("ab", "dv"):
                return keep(array(node, "<u1").tobytes())
            if tag == "date":
                ms = node["v"]
                return keep(None if ms is None else datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc))
            if tag == "re":
                return keep({"pattern": node["src"], "flags": node["f"]})
            if tag == "err":
                error = keep({"name": node["name"], "message": node["message"], "stack": node.get("stack")})
                if "cause" in node:
                    error["cause"] = decode(node["cause"])
                return error
            if tag == "box":
                return keep(decode(node["v"]))
            raise ValueError(f"unknown tag {tag!r} in {path}:{object_path}")

        return decode(tree)


def _summary(value, depth=0):
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} array, shape {value.shape}>"
    if depth > 3:
        return "..."
    if isinstance(value, HpcInstance):
        return {"class": value.type_id, **{k: _summary(v, depth + 1) for k, v in value.items()}}
    if isinstance(value, dict):
        return {str(k): _summary(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_summary(v, depth + 1) for v in value[:20]]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


if __name__ == "__main__":
    if len(sys.argv) == 2:
        print("\n".join(list_objects(sys.argv[1])))
    elif len(sys.argv) == 3:
        print(json.dumps(_summary(load(sys.argv[1], sys.argv[2])), indent=2, default=str))
    else:
        sys.exit(__doc__)
