/**
 * The wasm HDF5 filter plugins' file and folder names, in one place: the h5wasm loader looks for
 * them and every build config (tsup.shared.ts, used by serializer, node-runner and CLI) copies
 * them. Imports nothing, so a tsup config can import it.
 */

/** h5wasm-plugins' Blosc filters, copied into `<dist>/plugins/`. */
export const BLOSC_PLUGINS = ['libH5Zblosc.so', 'libH5Zblosc2.so'] as const;
/** The one whose presence marks a plugin folder. */
export const BLOSC_PLUGIN = BLOSC_PLUGINS[0];
export const PLUGIN_FOLDER = 'plugins';

/** Our own chunk relay filter (packages/serializer/wasm), copied into `<dist>/relay-plugin/`. */
export const RELAY_PLUGIN = 'libH5Zhpc_chunk_relay.so';
export const RELAY_PLUGIN_FOLDER = 'relay-plugin';
