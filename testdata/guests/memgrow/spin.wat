;; spin: grows its memory by n pages and touches them, calls env.started
;; (so the host knows it runs), then writes to its first page forever. The
;; engine's tests close its Runtime while it spins: its memory must stay
;; valid until the call is over.
(module
  (import "env" "started" (func $started))
  (memory (export "memory") 1)
  (func (export "spin") (param $n i32)
    (local $i i32) (local $end i32)
    (drop (memory.grow (local.get $n)))
    (local.set $end (i32.mul (memory.size) (i32.const 16)))
    (block $done
      (loop $page
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (i32.store8 (i32.mul (local.get $i) (i32.const 4096)) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $page)))
    (call $started)
    (loop $forever
      (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
      (br $forever))))
