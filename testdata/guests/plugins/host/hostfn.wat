;; hostfn.wat: an Extism plugin calling host functions the way PDK host
;; function helpers do: a kernel handle in, a kernel handle out.
(module
  (import "extism:host/user" "greet" (func $greet (param i64) (result i64)))
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (memory (export "memory") 1)

  ;; greet: output = greet(input)
  (func (export "greet") (result i32)
    (local $h i64)
    (local.set $h (call $greet (call $input_offset)))
    (call $output_set (local.get $h) (call $length (local.get $h)))
    (i32.const 0))

  ;; add: output = one byte, add(40, 2) from the raw host function
  (func (export "add") (result i32)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $h) (call $add (i32.const 40) (i32.const 2)))
    (call $output_set (local.get $h) (i64.const 1))
    (i32.const 0))
)
