import { copyHdf5Plugins, HDF5_WORKER_ENTRIES, libraryConfig } from '../../tsup.shared.ts';

// The wasm Blosc plugins ship inside the package (dist/plugins), so installing @hpc/serializer
// needs no h5wasm-plugins (whose peer range, h5wasm ^0.8, conflicts with the 0.10.3 we need).
export default libraryConfig(
  { index: 'src/index.ts', ...HDF5_WORKER_ENTRIES },
  { onSuccess: async () => copyHdf5Plugins('package.json', 'dist') },
);
