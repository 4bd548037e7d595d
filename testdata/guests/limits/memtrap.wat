;; memtrap.wat grows its memory under a cap, the way language runtimes do:
;; grow_or_trap(n) traps (unreachable) when memory.grow of n pages fails, as
;; a C or Rust allocator aborting on out of memory does; grow_or_exit(n)
;; exits with status 2 instead, as the Go runtime does; grow(n) returns
;; memory.grow's result; trap() traps whatever the memory.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 1000)
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "grow_or_trap") (param i32)
    (if (i32.eq (memory.grow (local.get 0)) (i32.const -1))
      (then unreachable)))
  (func (export "grow_or_exit") (param i32)
    (if (i32.eq (memory.grow (local.get 0)) (i32.const -1))
      (then (call $exit (i32.const 2)))))
  (func (export "trap")
    unreachable))
