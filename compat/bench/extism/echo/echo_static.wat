;; echo_static.wat: echo.wat with a static buffer (linear memory [0, 4 MiB),
;; the memory declared that large; a larger input fails) instead of growing
;; its memory to fit: a module that never runs memory.grow, so wasmhive's
;; engine inlines its kernel calls and keeps the kernel in its memory (as it
;; does for Rust PDK plugins, whose allocator uses the pages memory.grow
;; returns). Rebuild with ./build.sh.
;;
;; echo.wat: the floor of the Extism ABI for bulk data. It echoes its input
;; the way Extism's Rust PDK moves bytes (extism_pdk::input() then
;; output()): input_length, one input_load_u64 per 8 bytes into linear
;; memory (input_load_u8 for the tail), then alloc, one store_u64 per 8
;; bytes (store_u8 for the tail) and output_set. Nothing else runs, so a
;; call costs the ABI calls and the copies. It imports only
;; extism:host/env, so every Extism host runs it. Rebuild with ./build.sh.
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 64)

  (func (export "echo") (result i32)
    (local $n i64) (local $words i64) (local $i i64) (local $h i64)
    (local.set $n (call $input_length))
    ;; the buffer is linear memory [0, n), at most 4 MiB
    (if (i64.gt_u (local.get $n) (i64.const 0x400000))
      (then (return (i32.const 1))))
    (local.set $words (i64.and (local.get $n) (i64.const -8)))
    (block $d (loop $l
      (br_if $d (i64.ge_u (local.get $i) (local.get $words)))
      (i64.store (i32.wrap_i64 (local.get $i)) (call $input_load_u64 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 8)))
      (br $l)))
    (block $d (loop $l
      (br_if $d (i64.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.wrap_i64 (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
    (local.set $h (call $alloc (local.get $n)))
    (local.set $i (i64.const 0))
    (block $d (loop $l
      (br_if $d (i64.ge_u (local.get $i) (local.get $words)))
      (call $store_u64 (i64.add (local.get $h) (local.get $i)) (i64.load (i32.wrap_i64 (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 8)))
      (br $l)))
    (block $d (loop $l
      (br_if $d (i64.ge_u (local.get $i) (local.get $n)))
      (call $store_u8 (i64.add (local.get $h) (local.get $i)) (i32.load8_u (i32.wrap_i64 (local.get $i))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $l)))
    (call $output_set (local.get $h) (local.get $n))
    (i32.const 0))
)
