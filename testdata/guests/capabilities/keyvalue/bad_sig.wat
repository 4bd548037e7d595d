;; bad_sig.wat: imports wasmhive:keyvalue/store get with the wrong types
;; (i32 instead of i64 handles); the host must refuse to instantiate it.
(module
  (import "wasmhive:keyvalue/store" "get" (func $get (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (call $get (i32.const 0))))
