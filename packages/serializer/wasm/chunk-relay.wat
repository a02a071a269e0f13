;; libH5Zhpc_chunk_relay.so: an HDF5 filter plugin (an Emscripten side module for h5wasm) that
;; registers as Blosc (id 32001, name "blosc") but compresses nothing. @hpc/serializer compresses
;; Blosc chunks itself, on worker threads, with h5wasm-plugins' own Blosc code (blosc-host.ts),
;; then writes each chunk through h5wasm with a 16-byte ticket in place of its data:
;;
;;   u32 magic "hpc-"   u32 magic "rly1"   u32 address of the compressed bytes   u32 their length
;;
;; This filter hands HDF5 those bytes in place of the chunk: it frees the chunk's buffer and returns
;; the compressed bytes' own buffer (malloc'ed by the writer for this chunk alone; HDF5 writes it
;; and frees it, as it does any buffer a filter returns). So the file holds ordinary Blosc chunks
;; that any Blosc reader decodes, and nothing is copied. It is only ever loaded into the separate
;; h5wasm instance that writes; a buffer without a ticket, or a request to decode, fails (returns
;; 0) instead of guessing.
;;
;; Assembled by assemble-chunk-relay.mjs; a unit test checks the committed binary matches this.
(module
  (import "env" "memory" (memory 0))
  (import "env" "__indirect_function_table" (table 0 funcref))
  (import "env" "__memory_base" (global $memory_base i32))
  (import "env" "__table_base" (global $table_base i32))
  (import "env" "free" (func $free (param i32)))

  ;; H5Z_class2_t at memory_base + 0, the name at memory_base + 32:
  ;;   version 1, id 32001, encoder_present 1, decoder_present 0, name*, can_apply 0, set_local 0,
  ;;   filter*. The two pointers are filled in by H5PLget_plugin_info (they depend on the bases).
  (data (global.get $memory_base)
    "\01\00\00\00" "\01\7d\00\00" "\01\00\00\00" "\00\00\00\00"
    "\00\00\00\00" "\00\00\00\00" "\00\00\00\00" "\00\00\00\00"
    "blosc\00")
  (elem (global.get $table_base) func $relay)

  ;; H5PL_TYPE_FILTER
  (func (export "H5PLget_plugin_type") (result i32) (i32.const 0))

  (func (export "H5PLget_plugin_info") (result i32)
    (i32.store offset=16 (global.get $memory_base) (i32.add (global.get $memory_base) (i32.const 32)))
    (i32.store offset=28 (global.get $memory_base) (global.get $table_base))
    (global.get $memory_base))

  ;; size_t filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
  ;;               size_t *buf_size, void **buf)
  (func $relay
    (param $flags i32) (param $cd_nelmts i32) (param $cd_values i32)
    (param $nbytes i32) (param $buf_size i32) (param $buf i32) (result i32)
    (local $chunk i32) (local $payload i32) (local $length i32)
    ;; H5Z_FLAG_REVERSE: decoding is the real Blosc plugin's job, in the reading instance.
    (if (i32.and (local.get $flags) (i32.const 0x100)) (then (return (i32.const 0))))
    (if (i32.lt_u (local.get $nbytes) (i32.const 16)) (then (return (i32.const 0))))
    (local.set $chunk (i32.load (local.get $buf)))
    (if (i32.ne (i32.load (local.get $chunk)) (i32.const 0x2d637068)) (then (return (i32.const 0))))
    (if (i32.ne (i32.load offset=4 (local.get $chunk)) (i32.const 0x31796c72)) (then (return (i32.const 0))))
    (local.set $payload (i32.load offset=8 (local.get $chunk)))
    (local.set $length (i32.load offset=12 (local.get $chunk)))
    (if (i32.eqz (local.get $length)) (then (return (i32.const 0))))
    (call $free (local.get $chunk))
    (i32.store (local.get $buf) (local.get $payload))
    (i32.store (local.get $buf_size) (local.get $length))
    (local.get $length)))
