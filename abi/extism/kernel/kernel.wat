;; wasmhive's Extism kernel: the module a plugin's "extism:host/env" imports
;; resolve to when its host links it (abi/extism.LinkKernel). Its linear
;; memory is the plugin instance's kernel memory.
;;
;; The functions a plugin calls per 8 bytes of data (load/store, input
;; loads, input_length) are defined here, so those calls are wasm-to-wasm
;; calls; every other function is the Go host function of the same name,
;; imported from "extism:host/env" and exported again unchanged (wazero
;; binds a plugin's import straight to the Go function).
;;
;; The Go side (abi/extism.State) owns the allocator: it grows the memory
;; and keeps three globals current, which the functions here only read:
;;   top     end of allocated kernel memory; valid handles are [8, top)
;;   in_off  the input's block, 0 while the input is still outside kernel
;;           memory (then the first input load asks Go for it: input_offset)
;;   in_len  the input's length
;; Go keeps the memory at least 8 bytes longer than top, so an 8-byte load
;; at the end of the input never leaves the memory.
;;
;; An access out of bounds calls fault(op, handle), which stops the call
;; with an *extism.AccessError naming op; an input load past the input
;; reads 0 (Extism's kernel does the same), so codes 4 and 5 are unused.
;;
;; Rebuild with ./build.sh (wabt's wat2wasm); kernel.wasm is committed.
(module
  (import "wasmhive:host/kernel" "fault" (func $fault (param i32 i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "length_unsafe" (func $length_unsafe (param i64) (result i64)))
  (import "extism:host/env" "memory_bytes" (func $memory_bytes (result i64)))
  (import "extism:host/env" "reset" (func $reset))
  (import "extism:host/env" "input_set" (func $input_set (param i64 i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "output_length" (func $output_length (result i64)))
  (import "extism:host/env" "output_offset" (func $output_offset (result i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "error_get" (func $error_get (result i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
  (import "extism:host/env" "http_status_code" (func $http_status_code (result i32)))
  (import "extism:host/env" "http_headers" (func $http_headers (result i64)))
  (import "extism:host/env" "log_trace" (func $log_trace (param i64)))
  (import "extism:host/env" "log_debug" (func $log_debug (param i64)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "log_warn" (func $log_warn (param i64)))
  (import "extism:host/env" "log_error" (func $log_error (param i64)))
  (import "extism:host/env" "get_log_level" (func $get_log_level (result i32)))

  (memory (export "memory") 1)
  (global $top (export "top") (mut i64) (i64.const 8))
  (global $in_off (export "in_off") (mut i64) (i64.const 0))
  (global $in_len (export "in_len") (mut i64) (i64.const 0))

  (export "input_offset" (func $input_offset))
  (export "alloc" (func $alloc))
  (export "free" (func $free))
  (export "length" (func $length))
  (export "length_unsafe" (func $length_unsafe))
  (export "memory_bytes" (func $memory_bytes))
  (export "reset" (func $reset))
  (export "input_set" (func $input_set))
  (export "output_set" (func $output_set))
  (export "output_length" (func $output_length))
  (export "output_offset" (func $output_offset))
  (export "error_set" (func $error_set))
  (export "error_get" (func $error_get))
  (export "config_get" (func $config_get))
  (export "var_get" (func $var_get))
  (export "var_set" (func $var_set))
  (export "http_request" (func $http_request))
  (export "http_status_code" (func $http_status_code))
  (export "http_headers" (func $http_headers))
  (export "log_trace" (func $log_trace))
  (export "log_debug" (func $log_debug))
  (export "log_info" (func $log_info))
  (export "log_warn" (func $log_warn))
  (export "log_error" (func $log_error))
  (export "get_log_level" (func $get_log_level))

  ;; Fault codes, as abi/extism/kernel.go names them.
  ;; 0 load_u8, 1 load_u64, 2 store_u8, 3 store_u64, 4 input_load_u8, 5 input_load_u64

  (func (export "load_u8") (param $h i64) (result i32)
    (if (i32.or (i64.lt_u (local.get $h) (i64.const 8))
                (i64.ge_u (local.get $h) (global.get $top)))
      (then (call $fault (i32.const 0) (local.get $h)) (unreachable)))
    (i32.load8_u (i32.wrap_i64 (local.get $h))))

  (func (export "load_u64") (param $h i64) (result i64)
    (if (i32.or (i64.lt_u (local.get $h) (i64.const 8))
                (i64.gt_u (local.get $h) (i64.sub (global.get $top) (i64.const 8))))
      (then (call $fault (i32.const 1) (local.get $h)) (unreachable)))
    (i64.load (i32.wrap_i64 (local.get $h))))

  (func (export "store_u8") (param $h i64) (param $v i32)
    (if (i32.or (i64.lt_u (local.get $h) (i64.const 8))
                (i64.ge_u (local.get $h) (global.get $top)))
      (then (call $fault (i32.const 2) (local.get $h)) (unreachable)))
    (i32.store8 (i32.wrap_i64 (local.get $h)) (local.get $v)))

  (func (export "store_u64") (param $h i64) (param $v i64)
    (if (i32.or (i64.lt_u (local.get $h) (i64.const 8))
                (i64.gt_u (local.get $h) (i64.sub (global.get $top) (i64.const 8))))
      (then (call $fault (i32.const 3) (local.get $h)) (unreachable)))
    (i64.store (i32.wrap_i64 (local.get $h)) (local.get $v)))

  (func (export "input_length") (result i64)
    (global.get $in_len))

  ;; $input_base returns the input's block, asking Go to copy the input into
  ;; kernel memory on the first load of a call.
  (func $input_base (result i64)
    (local $b i64)
    (local.set $b (global.get $in_off))
    (if (i64.eqz (local.get $b))
      (then (local.set $b (call $input_offset))))
    (local.get $b))

  ;; A load past the input reads 0, as Extism's own kernel gives.
  (func (export "input_load_u8") (param $off i64) (result i32)
    (if (i64.ge_u (local.get $off) (global.get $in_len))
      (then (return (i32.const 0))))
    (i32.load8_u (i32.wrap_i64 (i64.add (call $input_base) (local.get $off)))))

  ;; A load straddling the end of the input reads the bytes past it as zero.
  (func (export "input_load_u64") (param $off i64) (result i64)
    (local $rem i64)
    (local $v i64)
    (if (i64.ge_u (local.get $off) (global.get $in_len))
      (then (return (i64.const 0))))
    (local.set $v (i64.load (i32.wrap_i64 (i64.add (call $input_base) (local.get $off)))))
    (local.set $rem (i64.sub (global.get $in_len) (local.get $off)))
    (if (result i64) (i64.ge_u (local.get $rem) (i64.const 8))
      (then (local.get $v))
      (else (i64.and (local.get $v)
                     (i64.sub (i64.shl (i64.const 1) (i64.shl (local.get $rem) (i64.const 3))) (i64.const 1))))))
)
