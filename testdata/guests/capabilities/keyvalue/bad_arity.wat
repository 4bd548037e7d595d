;; bad_arity.wat: imports wasmhive:keyvalue/atomics increment with one
;; parameter instead of two; the host must refuse to instantiate it.
(module
  (import "wasmhive:keyvalue/atomics" "increment" (func $incr (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (drop (call $incr (i64.const 0)))
    (i32.const 0)))
