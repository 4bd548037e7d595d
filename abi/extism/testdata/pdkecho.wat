;; pdkecho.wat: moves bytes as the Extism Rust PDK does (input_load_u64 per
;; 8 bytes and input_load_u8 for the tail; load_u64/store_u64 per 8 bytes
;; and load_u8/store_u8 for the tail), for the tests of the kernel in the
;; plugin's memory (plugin_test.go). It never grows its memory itself, so
;; the engine inlines its kernel calls. Rebuild with ./build.sh.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "input_load_u64" (func $input_load_u64 (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)

  ;; echo: the input into a block, that block into a second one, output
  ;; the second
  (func (export "echo") (result i32)
    (local $n i64) (local $a i64) (local $b i64) (local $i i64)
    (local.set $n (call $input_length))
    (local.set $a (call $alloc (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $n)))
        (call $store_u64 (i64.add (local.get $a) (local.get $i)) (call $input_load_u64 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $next)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $a) (local.get $i)) (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (local.set $b (call $alloc (local.get $n)))
    (local.set $i (i64.const 0))
    (block $done
      (loop $next
        (br_if $done (i64.gt_u (i64.add (local.get $i) (i64.const 8)) (local.get $n)))
        (call $store_u64 (i64.add (local.get $b) (local.get $i)) (call $load_u64 (i64.add (local.get $a) (local.get $i))))
        (local.set $i (i64.add (local.get $i) (i64.const 8)))
        (br $next)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $b) (local.get $i)) (call $load_u8 (i64.add (local.get $a) (local.get $i))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (call $output_set (local.get $b) (local.get $n))
    (i32.const 0))

  ;; out8 outputs v as 8 bytes, little endian
  (func $out8 (param $v i64)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $h) (local.get $v))
    (call $output_set (local.get $h) (i64.const 8)))

  ;; tail_u64: input_load_u64 at input_length-3 (straddling the end)
  (func (export "tail_u64") (result i32)
    (call $out8 (call $input_load_u64 (i64.sub (call $input_length) (i64.const 3))))
    (i32.const 0))
  ;; past_u64, past_u8: loads at input_length
  (func (export "past_u64") (result i32)
    (call $out8 (call $input_load_u64 (call $input_length)))
    (i32.const 0))
  (func (export "past_u8") (result i32)
    (call $out8 (i64.extend_i32_u (call $input_load_u8 (call $input_length))))
    (i32.const 0))
  ;; null_load, null_store: kernel accesses of handle 0
  (func (export "null_load") (result i32)
    (call $out8 (call $load_u64 (i64.const 0)))
    (i32.const 0))
  (func (export "null_store") (result i32)
    (call $store_u8 (i64.const 0) (i32.const 1))
    (i32.const 0))
  ;; below_kernel: a kernel load of plugin address 16 (the plugin's own
  ;; data, below every kernel block)
  (func (export "below_kernel") (result i32)
    (call $out8 (call $load_u64 (i64.const 16)))
    (i32.const 0))
)
