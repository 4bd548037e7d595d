;; imports.wat imports two functions no host provides; `run` must name both
;; with their signatures.
(module
  (import "env" "foo" (func $foo (param i32) (result i32)))
  (import "env" "bar" (func $bar))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $foo (i32.const 1)))
    (call $bar)))
