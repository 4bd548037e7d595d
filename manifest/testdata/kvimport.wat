;; A module that imports the keyvalue and logging capabilities (and nothing
;; else): the manifest tests check that an ungranted import is reported.
(module
  (import "wasmhive:keyvalue/store" "get" (func $get (param i64) (result i64)))
  (import "wasmhive:keyvalue/atomics" "increment" (func $inc (param i64 i64) (result i64)))
  (import "wasmhive:logging/logging" "log" (func $log (param i64 i64 i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "handle_http") (result i32) i32.const 0))
