;; kernel.wat: a hand-written Extism plugin exercising the host ABI directly,
;; including the misbehaviour a PDK would never produce (garbage handles and
;; lengths, busy loops). Rebuild with build.sh.
(module
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "free" (func $free (param i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "store_u64" (func $store_u64 (param i64 i64)))
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_offset" (func $input_offset (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "config_get" (func $config_get (param i64) (result i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "reset" (func $reset))
  (import "extism:host/env" "output_offset" (func $output_offset (result i64)))
  (import "extism:host/env" "output_length" (func $output_length (result i64)))
  (import "extism:host/env" "get_log_level" (func $get_log_level (result i32)))
  (import "extism:host/env" "log_info" (func $log_info (param i64)))
  (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
  (import "extism:host/env" "http_status_code" (func $http_status_code (result i32)))
  (import "wasmhive:host/bulk" "input_read" (func $bulk_input_read (param i64 i64) (result i64)))
  (import "wasmhive:host/bulk" "output_write" (func $bulk_output_write (param i64 i64)))
  (memory (export "memory") 2)
  (data (i32.const 0) "boom")        ;; 0..4
  (data (i32.const 16) "greeting")   ;; 16..24
  (data (i32.const 32) "count")      ;; 32..37
  (data (i32.const 48) "hello from the plugin") ;; 48..69
  (data (i32.const 80) "big")        ;; 80..83

  ;; copy linear memory [ptr, ptr+len) into a new kernel block
  (func $to_kernel (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
                        (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $h))

  ;; echo: output = input, copied byte by byte through a new block
  (func (export "echo") (result i32)
    (local $n i64) (local $h i64) (local $i i64)
    (local.set $n (call $input_length))
    (local.set $h (call $alloc (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (call $store_u8 (i64.add (local.get $h) (local.get $i)) (call $input_load_u8 (local.get $i)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (call $output_set (local.get $h) (local.get $n))
    (i32.const 0))

  ;; echo_offset: output = the input block itself
  (func (export "echo_offset") (result i32)
    (call $output_set (call $input_offset) (call $input_length))
    (i32.const 0))

  ;; bulk_echo: input to linear memory at 1024 and back in two bulk calls
  (func (export "bulk_echo") (result i32)
    (local $n i64)
    (local.set $n (call $bulk_input_read (i64.const 1024) (call $input_length)))
    (call $bulk_output_write (i64.const 1024) (local.get $n))
    (i32.const 0))

  ;; bulk_then_offset: bulk output, then re-set it from its kernel handle
  ;; and overwrite its first byte with "!" through the handle
  (func (export "bulk_then_offset") (result i32)
    (local $n i64) (local $h i64)
    (local.set $n (call $bulk_input_read (i64.const 1024) (call $input_length)))
    (call $bulk_output_write (i64.const 1024) (local.get $n))
    (local.set $h (call $output_offset))
    (call $store_u8 (local.get $h) (i32.const 33))
    (call $output_set (local.get $h) (call $output_length))
    (i32.const 0))

  ;; fail: error "boom", return 1
  (func (export "fail") (result i32)
    (call $error_set (call $to_kernel (i32.const 0) (i32.const 4)))
    (i32.const 1))

  ;; fail_silent: return 7 without a message
  (func (export "fail_silent") (result i32) (i32.const 7))

  ;; config: output config "greeting" (empty when unset)
  (func (export "config") (result i32)
    (local $h i64)
    (local.set $h (call $config_get (call $to_kernel (i32.const 16) (i32.const 8))))
    (call $output_set (local.get $h) (call $length (local.get $h)))
    (i32.const 0))

  ;; count: var "count" (u64 LE) += 1; output the 8 bytes
  (func (export "count") (result i32)
    (local $key i64) (local $v i64) (local $n i64) (local $h i64)
    (local.set $key (call $to_kernel (i32.const 32) (i32.const 5)))
    (local.set $v (call $var_get (local.get $key)))
    (if (i64.ne (local.get $v) (i64.const 0))
      (then (local.set $n (call $load_u64 (local.get $v)))))
    (local.set $n (i64.add (local.get $n) (i64.const 1)))
    (local.set $h (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $h) (local.get $n))
    (call $var_set (local.get $key) (local.get $h))
    (call $output_set (local.get $h) (i64.const 8))
    (i32.const 0))

  ;; big_var: set var "big" to a block as long as the input
  (func (export "big_var") (result i32)
    (call $var_set (call $to_kernel (i32.const 80) (i32.const 3)) (call $input_offset))
    (i32.const 0))

  ;; log: log_info "hello from the plugin"
  (func (export "log") (result i32)
    (call $log_info (call $to_kernel (i32.const 48) (i32.const 21)))
    (i32.const 0))

  ;; http: the input is an Extism HTTP request (JSON); output = response body,
  ;; return = status code (so 200 means failure to the host: test reads both)
  (func (export "http") (result i32)
    (local $h i64)
    (local.set $h (call $http_request (call $input_offset) (i64.const 0)))
    (call $output_set (local.get $h) (call $length (local.get $h)))
    (i32.const 0))
  (func (export "http_status") (result i32)
    (drop (call $http_request (call $input_offset) (i64.const 0)))
    (call $http_status_code))

  ;; garbage: out-of-bounds lengths and handles
  (func (export "garbage_output") (result i32)
    (call $output_set (i64.const 8) (i64.const 0x10000000000))
    (i32.const 0))
  (func (export "garbage_load") (result i32)
    (drop (call $load_u64 (i64.const 0x7fffffffffff)))
    (i32.const 0))
  (func (export "garbage_store") (result i32)
    (call $store_u64 (i64.const -8) (i64.const 1))
    (i32.const 0))
  (func (export "garbage_alloc") (result i32)
    ;; an absurd allocation returns 0 instead of exhausting the host
    (if (i64.ne (call $alloc (i64.const 0x100000000000)) (i64.const 0))
      (then (return (i32.const 1))))
    (i32.const 0))
  (func (export "garbage_bulk") (result i32)
    (drop (call $bulk_input_read (i64.const 0xfffffff0) (i64.const 64)))
    (i32.const 0))
  (func (export "garbage_free") (result i32)
    ;; freeing garbage handles is ignored
    (call $free (i64.const 3))
    (call $free (i64.const 0x7fffffff))
    (i32.const 0))

  ;; log_level: output get_log_level as an i32 LE
  (func (export "log_level") (result i32)
    (local $h i64)
    (local.set $h (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $h) (i64.extend_i32_u (call $get_log_level)))
    (call $output_set (local.get $h) (i64.const 4))
    (i32.const 0))

  ;; reset: after reset the input is gone; output its length (u64 LE, 0)
  (func (export "reset") (result i32)
    (local $h i64)
    (call $reset)
    (local.set $h (call $alloc (i64.const 8)))
    (call $store_u64 (local.get $h) (call $input_length))
    (call $output_set (local.get $h) (i64.const 8))
    (i32.const 0))

  ;; busy: loop forever (timeouts and cancellation)
  (func (export "busy") (result i32)
    (loop $forever (br $forever))
    (i32.const 0))

  ;; add: takes parameters, so it is not a plugin function
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
)
