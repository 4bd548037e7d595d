;; touch: a library module for the engine's memory tests. Its memory has no
;; declared maximum (its cap is the instance's).
;;   grow(n)   memory.grow n: the old size in pages, or -1
;;   fill(v)   sets every byte of the memory to v
;;   touch()   writes 1 in every 4 KiB host page (makes the memory resident)
;;   nonzero() counts the 8-byte words that are not zero (a recycled memory
;;             must have none)
(module
  (memory (export "memory") 1)
  (func (export "grow") (param $n i32) (result i32)
    (memory.grow (local.get $n)))
  (func (export "fill") (param $v i32)
    (memory.fill (i32.const 0) (local.get $v) (i32.mul (memory.size) (i32.const 65536))))
  (func (export "touch")
    (local $i i32) (local $n i32)
    (local.set $n (i32.mul (memory.size) (i32.const 16)))
    (block $done
      (loop $page
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.mul (local.get $i) (i32.const 4096)) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $page))))
  (func (export "nonzero") (result i32)
    (local $p i32) (local $end i32) (local $n i32)
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (block $done
      (loop $word
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i64.ne (i64.load (local.get $p)) (i64.const 0))
          (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $word)))
    (local.get $n)))
