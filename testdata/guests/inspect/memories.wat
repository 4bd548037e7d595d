;; A reactor with several memories: a 32-bit one with limits, a shared one,
;; a 64-bit one, plus an imported memory, and an _initialize export.
(module
  (import "host" "shared" (memory 1 4 shared))
  (memory $a (export "memory") 2 256)
  (memory $b (export "scratch") 0)
  (memory $c i64 3 100000)
  (func (export "_initialize"))
  (func (export "get") (param i32) (result i32)
    (i32.load $a (local.get 0))))
