;; ctors.wat: a WASI "command-style" plugin exporting __wasm_call_ctors (and
;; no _initialize), which Extism hosts run once before the first call.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (global $ctors (mut i32) (i32.const 0))
  (func (export "__wasm_call_ctors")
    (global.set $ctors (i32.add (global.get $ctors) (i32.const 1))))
  ;; ctors: output one byte, how many times the constructors ran
  (func (export "ctors") (result i32)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $h) (global.get $ctors))
    (call $output_set (local.get $h) (i64.const 1))
    (i32.const 0))
)
