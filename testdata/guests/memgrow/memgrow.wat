;; memgrow: a WASI command that grows its linear memory one page at a time
;; until memory.grow fails, writes one byte in every 4 KiB host page of it
;; (so all of it is resident; not when given any argument: then it only
;; grows), tries one more page past the end, and prints
;;
;;   pages N grow -1
;;
;; N is the size it reached in 64 KiB pages, and the last number what the
;; extra memory.grow returned (-1: it failed, as it must at the cap). It has
;; no declared maximum, so without a cap it grows to WebAssembly's 4 GiB.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0..7: iovec; 8: bytes written; 16..63: the line being built; 96, 100:
  ;; argc and the size of the arguments.
  (data (i32.const 16) "pages ")

  ;; $utoa writes n in decimal at p and returns the address after it.
  (func $utoa (param $p i32) (param $n i32) (result i32)
    (local $len i32) (local $m i32) (local $i i32)
    ;; count digits
    (local.set $m (local.get $n))
    (local.set $len (i32.const 1))
    (block $done
      (loop $count
        (br_if $done (i32.lt_u (local.get $m) (i32.const 10)))
        (local.set $m (i32.div_u (local.get $m) (i32.const 10)))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $count)))
    ;; write digits from the end
    (local.set $i (local.get $len))
    (loop $digits
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $p) (local.get $i))
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $i)))
    (i32.add (local.get $p) (local.get $len)))

  ;; $copy writes the bytes [src, src+n) at dst and returns dst+n.
  (func $copy (param $dst i32) (param $src i32) (param $n i32) (result i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n))
    (i32.add (local.get $dst) (local.get $n)))

  (data (i32.const 64) " grow ")
  (data (i32.const 72) "-1")

  (func (export "_start")
    (local $pages i32) (local $end i32) (local $extra i32) (local $p i32)
    ;; grow a page at a time until it fails
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    (local.set $pages (memory.size))
    ;; touch every 4 KiB page, counting them in $extra (a byte count would
    ;; wrap to 0 at 4 GiB)
    (local.set $end (i32.mul (local.get $pages) (i32.const 16)))
    (drop (call $args_sizes_get (i32.const 96) (i32.const 100)))
    (if (i32.gt_u (i32.load (i32.const 96)) (i32.const 1))
      (then (local.set $end (i32.const 0))))
    (block $touched
      (loop $touch
        (br_if $touched (i32.ge_u (local.get $extra) (local.get $end)))
        (i32.store8 (i32.mul (local.get $extra) (i32.const 4096)) (i32.const 1))
        (local.set $extra (i32.add (local.get $extra) (i32.const 1)))
        (br $touch)))
    (local.set $extra (memory.grow (i32.const 1)))
    ;; "pages N grow R\n"
    (local.set $p (call $utoa (i32.const 22) (local.get $pages)))
    (local.set $p (call $copy (local.get $p) (i32.const 64) (i32.const 6)))
    (if (i32.eq (local.get $extra) (i32.const -1))
      (then (local.set $p (call $copy (local.get $p) (i32.const 72) (i32.const 2))))
      (else (local.set $p (call $utoa (local.get $p) (local.get $extra)))))
    (i32.store8 (local.get $p) (i32.const 10))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.sub (local.get $p) (i32.const 16)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
