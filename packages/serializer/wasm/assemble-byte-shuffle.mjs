#!/usr/bin/env node
// Generates byte-shuffle.wat (Blosc's byte shuffle and unshuffle with WebAssembly SIMD) and
// assembles it into src/hdf5/accel/byte-shuffle-wasm.ts (the module's bytes, base64, so every bundle and
// worker has them).
//   node packages/serializer/wasm/assemble-byte-shuffle.mjs           writes both files
//   node packages/serializer/wasm/assemble-byte-shuffle.mjs --check   exits 1 if either differs
//
// Why: h5wasm-plugins' Blosc is built without SIMD, and its generic shuffle and unshuffle are a
// third or more of Blosc's time. The two functions here have exactly the signature and results of
// Blosc's blosc_internal_shuffle_generic / blosc_internal_unshuffle_generic (one block each), and
// use nothing but their arguments and memory 0, so blosc-simd-plugin.ts splices their bodies into
// the plugin in place of those two. Unit tests compare the patched plugin's frames and decoded
// data with the original's.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const here = dirname(fileURLToPath(import.meta.url));
const WAT_FILE = join(here, 'byte-shuffle.wat');
const TS_FILE = join(here, '..', 'src', 'hdf5', 'accel', 'byte-shuffle-wasm.ts');
const TYPE_SIZES = [8, 4, 2];

const bytesOf = (v) => [...new Set(v.lanes.map((l) => l.byte))].sort((a, b) => a - b);
const elementsOf = (v) => [...new Set(v.lanes.map((l) => l.element))].sort((a, b) => a - b);

/**
 * Rounds of two-vector byte shuffles from `vectors` (each 16 lanes labelled {element, byte}) until
 * `done`: each round pairs vectors whose `key` is equal, neighbours by `order`, and splits the
 * pair's lanes by the halves of `splitOf`, each half sorted by `sort`. Returns WAT lines.
 */
function transpose(vectors, { key, order, splitOf, sort, done }, locals, body, prefix) {
  for (let round = 1; !done(vectors); round++) {
    const next = [];
    for (const group of Map.groupBy(vectors, key).values()) {
      group.sort((a, b) => order(a) - order(b));
      for (let i = 0; i < group.length; i += 2) {
        const [p, q] = [group[i], group[i + 1]];
        const lanes = [
          ...p.lanes.map((l, at) => ({ ...l, at })),
          ...q.lanes.map((l, at) => ({ ...l, at: 16 + at })),
        ];
        const values = splitOf(p, q);
        for (const half of [values.slice(0, values.length / 2), values.slice(values.length / 2)]) {
          const chosen = lanes.filter((l) => half.includes(splitOf.field(l))).sort(sort);
          const name = `$${prefix}${round}_${next.length}`;
          if (!locals.includes(name)) locals.push(name);
          body.push(
            `(local.set ${name} (i8x16.shuffle ${chosen.map((l) => l.at).join(' ')} (local.get ${p.name}) (local.get ${q.name})))`,
          );
          next.push({ name, lanes: chosen });
        }
      }
    }
    vectors = next;
  }
  return vectors;
}

/** Shuffle kernel: 16 elements of `typesize` bytes in, 16 bytes out to each byte plane. */
function shuffleKernel(typesize, locals) {
  const perVector = 16 / typesize;
  const inputs = Array.from({ length: typesize }, (_, k) => ({
    name: `$v${k}`,
    lanes: Array.from({ length: 16 }, (_, lane) => ({
      element: k * perVector + Math.floor(lane / typesize),
      byte: lane % typesize,
    })),
  }));
  for (const v of inputs) if (!locals.includes(v.name)) locals.push(v.name);
  const body = inputs.map((v, k) => `(local.set ${v.name} (v128.load offset=${k * 16} (local.get $from)))`);
  const split = (p) => bytesOf(p);
  split.field = (l) => l.byte;
  const outputs = transpose(
    inputs,
    {
      key: (v) => bytesOf(v).join(','),
      order: (v) => elementsOf(v)[0],
      splitOf: split,
      sort: (a, b) => a.byte - b.byte || a.element - b.element,
      done: (vs) => bytesOf(vs[0]).length === 1,
    },
    locals,
    body,
    's',
  );
  for (const v of outputs) {
    const { byte } = v.lanes[0];
    if (v.lanes.some((l, at) => l.element !== at || l.byte !== byte)) throw new Error('the shuffle is wrong');
    body.push(
      `(v128.store (i32.add (local.get $to) (i32.mul (local.get $n) (i32.const ${byte}))) (local.get ${v.name}))`,
    );
  }
  return body;
}

/** Unshuffle kernel: 16 bytes from each byte plane in, 16 whole elements of `typesize` bytes out. */
function unshuffleKernel(typesize, locals) {
  const perVector = 16 / typesize;
  const inputs = Array.from({ length: typesize }, (_, byte) => ({
    name: `$v${byte}`,
    lanes: Array.from({ length: 16 }, (_, element) => ({ element, byte })),
  }));
  for (const v of inputs) if (!locals.includes(v.name)) locals.push(v.name);
  const body = inputs.map(
    (v, byte) =>
      `(local.set ${v.name} (v128.load (i32.add (local.get $from) (i32.mul (local.get $n) (i32.const ${byte})))))`,
  );
  const split = (p) => elementsOf(p);
  split.field = (l) => l.element;
  const outputs = transpose(
    inputs,
    {
      key: (v) => elementsOf(v).join(','),
      order: (v) => bytesOf(v)[0],
      splitOf: split,
      sort: (a, b) => a.element - b.element || a.byte - b.byte,
      done: (vs) => elementsOf(vs[0]).length === perVector,
    },
    locals,
    body,
    'u',
  );
  for (const v of outputs) {
    const first = v.lanes[0].element;
    if (v.lanes.some((l, at) => l.element !== first + Math.floor(at / typesize) || l.byte !== at % typesize))
      throw new Error('the unshuffle is wrong');
    body.push(`(v128.store offset=${(first / perVector) * 16} (local.get $to) (local.get ${v.name}))`);
  }
  return body;
}

/**
 * One of the two functions: (typesize, blocksize, src, dest), one block. Whole groups of 16
 * elements go through the SIMD kernel for their size; the rest byte by byte (as Blosc's generic
 * code does it); the bytes after the last whole element are copied as they are.
 */
function blockFunction(direction) {
  const shuffle = direction === 'shuffle';
  const locals = [];
  const kernels = TYPE_SIZES.map((typesize) => ({
    typesize,
    body: (shuffle ? shuffleKernel : unshuffleKernel)(typesize, locals),
  }));
  // Per group of 16 elements: how far the pointers move.
  const step = (typesize) =>
    shuffle
      ? [`(i32.const ${16 * typesize})`, '(i32.const 16)']
      : ['(i32.const 16)', `(i32.const ${16 * typesize})`];
  const loops = kernels.map(({ typesize, body }) => {
    const [fromStep, toStep] = step(typesize);
    return `(if (i32.eq (local.get $typesize) (i32.const ${typesize})) (then
      (block $done${typesize} (loop $next${typesize}
        (br_if $done${typesize} (i32.ge_u (local.get $i) (local.get $vectorized)))
        ${body.join('\n        ')}
        (local.set $from (i32.add (local.get $from) ${fromStep}))
        (local.set $to (i32.add (local.get $to) ${toStep}))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next${typesize})))))`;
  });
  // Byte by byte: shuffled byte j of element i is at j * n + i; in element order at i * typesize + j.
  const shuffled = '(i32.add (i32.mul (local.get $j) (local.get $n)) (local.get $i))';
  const ordered = '(i32.add (i32.mul (local.get $i) (local.get $typesize)) (local.get $j))';
  const [fromIndex, toIndex] = shuffle ? [ordered, shuffled] : [shuffled, ordered];
  return `
  (func (export "${direction}") (param $typesize i32) (param $blocksize i32) (param $src i32) (param $dest i32)
    (local $n i32) (local $vectorized i32) (local $i i32) (local $j i32) (local $whole i32)
    (local $from i32) (local $to i32)
    ${locals.map((name) => `(local ${name} v128)`).join(' ')}
    (local.set $n (i32.div_u (local.get $blocksize) (local.get $typesize)))
    (local.set $vectorized (i32.and (local.get $n) (i32.const -16)))
    (local.set $from (local.get $src))
    (local.set $to (local.get $dest))
    ${loops.join('\n    ')}
    ;; Other type sizes have no kernel: every element goes byte by byte.
    (local.set $vectorized (local.get $i))
    (block $bytesDone (loop $byte
      (br_if $bytesDone (i32.ge_u (local.get $j) (local.get $typesize)))
      (local.set $i (local.get $vectorized))
      (block $elementsDone (loop $element
        (br_if $elementsDone (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $dest) ${toIndex}) (i32.load8_u (i32.add (local.get $src) ${fromIndex})))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $element)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $byte)))
    (local.set $whole (i32.mul (local.get $n) (local.get $typesize)))
    (memory.copy
      (i32.add (local.get $dest) (local.get $whole))
      (i32.add (local.get $src) (local.get $whole))
      (i32.sub (local.get $blocksize) (local.get $whole))))`;
}

export function byteShuffleWat() {
  return `;; Blosc 1's byte shuffle and unshuffle of one block, with WebAssembly SIMD.
;; GENERATED by assemble-byte-shuffle.mjs: edit that.
;; Same results as Blosc's generic code: in a block of n whole elements, byte j of element i is at
;; j * n + i once shuffled; the bytes after the last whole element stay as they are. Each function
;; uses only its arguments and memory 0 (no calls, no globals), so its body can replace Blosc's own.
(module
  (import "env" "memory" (memory 0))
${blockFunction('shuffle')}
${blockFunction('unshuffle')}
)
`;
}

export async function assembleByteShuffle() {
  const wat = byteShuffleWat();
  const wabt = await wabtInit();
  const parsed = wabt.parseWat('byte-shuffle.wat', wat, { simd: true, bulk_memory: true });
  try {
    parsed.validate();
    const binary = Buffer.from(parsed.toBinary({}).buffer);
    const ts = `// GENERATED by packages/serializer/wasm/assemble-byte-shuffle.mjs from byte-shuffle.wat: do not edit.
/** Blosc's byte shuffle and unshuffle with WebAssembly SIMD (${binary.length} bytes); see blosc-simd-plugin.ts. */
export const BYTE_SHUFFLE_WASM =
  '${binary.toString('base64')}';
`;
    return { wat, ts };
  } finally {
    parsed.destroy();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { wat, ts } = await assembleByteShuffle();
  if (process.argv.includes('--check')) {
    const same = readFileSync(WAT_FILE, 'utf8') === wat && readFileSync(TS_FILE, 'utf8') === ts;
    console.log(
      same ? 'byte shuffle matches its source' : 'byte shuffle differs from assemble-byte-shuffle.mjs',
    );
    process.exit(same ? 0 : 1);
  }
  writeFileSync(WAT_FILE, wat);
  writeFileSync(TS_FILE, ts);
  console.log(`wrote ${WAT_FILE} and ${TS_FILE}`);
}
