;; raw.wat: calls the keyvalue functions with what no PDK would pass:
;; garbage handles, a short delta, hostile and trailing lists. Exports that
;; get a reply make it their output, byte for byte. Rebuild with build.sh.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "wasmhive:keyvalue/store" "get" (func $get (param i64) (result i64)))
  (import "wasmhive:keyvalue/store" "set" (func $set (param i64 i64) (result i64)))
  (import "wasmhive:keyvalue/atomics" "increment" (func $incr (param i64 i64) (result i64)))
  (import "wasmhive:keyvalue/batch" "get_many" (func $get_many (param i64) (result i64)))
  (import "wasmhive:keyvalue/batch" "set_many" (func $set_many (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "k")                        ;; 0..1 a key
  (data (i32.const 8) "v")                        ;; 8..9 a value
  (data (i32.const 16) "\01\02\03")               ;; 16..19 a 3-byte delta
  (data (i32.const 32) "\ff\ff\ff\ff")            ;; 32..36 a list claiming 2^32-1 items
  (data (i32.const 48) "\00\00\00\00\01")         ;; 48..53 an empty list and a stray byte
  (data (i32.const 64) "\01\00\00\00\01\00\00\00k") ;; 64..73 one pair whose value item is missing

  ;; copy linear memory [ptr, ptr+len) into a new kernel block
  (func $to_kernel (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done
      (loop $copy
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (call $store_u8
          (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
          (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (local.get $h))

  ;; make the reply block h the output
  (func $out (param $h i64) (result i32)
    (call $output_set (local.get $h) (call $length (local.get $h)))
    (i32.const 0))

  (func (export "bad_handle") (result i32)
    (drop (call $get (i64.const 123456)))
    (i32.const 0))

  (func (export "bad_handle_mid") (result i32)
    (drop (call $get (i64.add (call $to_kernel (i32.const 0) (i32.const 1)) (i64.const 1))))
    (i32.const 0))

  (func (export "bad_value_handle") (result i32)
    (drop (call $set (call $to_kernel (i32.const 0) (i32.const 1)) (i64.const 999999)))
    (i32.const 0))

  (func (export "set_k") (result i32)
    (call $out (call $set (call $to_kernel (i32.const 0) (i32.const 1)) (call $to_kernel (i32.const 8) (i32.const 1)))))

  (func (export "get_k") (result i32)
    (call $out (call $get (call $to_kernel (i32.const 0) (i32.const 1)))))

  (func (export "get_empty_key") (result i32)
    (call $out (call $get (i64.const 0))))

  (func (export "short_delta") (result i32)
    (call $out (call $incr (call $to_kernel (i32.const 0) (i32.const 1)) (call $to_kernel (i32.const 16) (i32.const 3)))))

  (func (export "no_delta") (result i32)
    (call $out (call $incr (call $to_kernel (i32.const 0) (i32.const 1)) (i64.const 0))))

  (func (export "hostile_list") (result i32)
    (call $out (call $get_many (call $to_kernel (i32.const 32) (i32.const 4)))))

  (func (export "trailing_list") (result i32)
    (call $out (call $get_many (call $to_kernel (i32.const 48) (i32.const 5)))))

  (func (export "empty_list") (result i32)
    (call $out (call $get_many (i64.const 0))))

  (func (export "short_pairs") (result i32)
    (call $out (call $set_many (call $to_kernel (i32.const 64) (i32.const 9))))))
