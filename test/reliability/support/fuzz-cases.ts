/**
 * The fuzz plan of one format: a valid crate per shape, its regions, and the seeded mutations to
 * load. Case ids ("h5/large#17") plus the run's seed replay one case:
 *   HPC_FUZZ_SEED=<seed> HPC_FUZZ_ONLY=h5/large#17 pnpm exec vitest run --project reliability fuzz
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectSerializer, Serializer } from '@hpc/serializer';
import { findBinRegions, outOfLineArrays } from './bin-regions.ts';
import type { Format, Operation } from './fuzz-child.ts';
import { findH5Regions } from './h5-regions.ts';
import { derivedSeed, type Mutation, type Region, sampleMutations } from './mutations.ts';
import { settings } from './settings.ts';
import { FUZZ_NEIGHBOUR_PATH, FUZZ_OBJECT_PATH, NEIGHBOUR_VALUE, type Shape } from './shapes.ts';

export interface FuzzCase {
  id: string;
  shape: string;
  mutation: Mutation;
  operations: Operation[];
}

export interface ShapeBase {
  shape: Shape;
  file: string;
  size: number;
  regions: Region[];
}

export async function writeBase(format: Format, shape: Shape, dir: string): Promise<ShapeBase> {
  const file = join(dir, `${shape.name}.${format}`);
  if (format === 'bin') {
    await Serializer.serializeToFile(shape.build(), file, { durable: false });
  } else {
    const crate = new ObjectSerializer(file, { durable: false });
    await crate.serialize(NEIGHBOUR_VALUE, FUZZ_NEIGHBOUR_PATH);
    await crate.serialize(shape.build(), FUZZ_OBJECT_PATH, shape.h5);
  }
  const bytes = await readFile(file);
  const regions =
    format === 'bin'
      ? findBinRegions(bytes, outOfLineArrays(shape.build()))
      : await findH5Regions(file, bytes, FUZZ_OBJECT_PATH);
  return { shape, file, size: bytes.byteLength, regions };
}

/** Every `extraEvery`-th h5 case also runs list, info and readArray on the damaged file. */
export function planCases(
  format: Format,
  base: ShapeBase,
  count: number,
  seed: number,
  extraEvery = 4,
): FuzzCase[] {
  const mutations = sampleMutations(
    derivedSeed(seed, format, base.shape.name),
    count,
    base.size,
    base.regions,
  );
  return mutations.map((mutation, index) => {
    const operations: Operation[] = ['load'];
    if (format === 'h5' && index % extraEvery === 0) {
      operations.push('list', 'info');
      if (base.shape.readArray) operations.push('readArray');
    }
    return { id: `${format}/${base.shape.name}#${index}`, shape: base.shape.name, mutation, operations };
  });
}

/** HPC_FUZZ_ONLY keeps the named cases (comma-separated ids); unset keeps all. */
export function selectCases(cases: FuzzCase[]): FuzzCase[] {
  const only = settings.only();
  if (!only) return cases;
  const wanted = new Set(only);
  return cases.filter((fuzzCase) => wanted.has(fuzzCase.id));
}
