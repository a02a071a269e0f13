import { HDF5_READ_WORKER_ENTRY, libraryConfig } from '../../tsup.shared.ts';

export default libraryConfig({ index: 'src/index.ts', ...HDF5_READ_WORKER_ENTRY });
