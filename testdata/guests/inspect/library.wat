;; An Extism-style plugin: imports extism:host/env and exports plugin functions.
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "greet") (result i32)
    (call $output_set (i64.const 0) (call $input_length))
    (i32.const 0)))
