import { fuzzTest } from './support/fuzz-run.ts';

/** Cases per shape (2,100 in all): the large shape costs most per case. */
fuzzTest('bin', '.bin crates under seeded damage (Serializer.deserializeFromFile)', {
  'inline-small': 400,
  large: 300,
  'many-chunks': 400,
  'codec-none': 300,
  graph: 400,
  'process-root': 300,
});
