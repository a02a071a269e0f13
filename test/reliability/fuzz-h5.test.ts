import { fuzzTest } from './support/fuzz-run.ts';

/** Cases per shape (2,100 in all); every fourth case also runs list, info and readArray. */
fuzzTest('h5', 'HDF5 crates under seeded damage (ObjectSerializer load, list, info, readArray)', {
  'inline-small': 350,
  large: 300,
  'many-chunks': 400,
  'codec-none': 300,
  graph: 400,
  'process-root': 350,
});
