;; bad_import.wat: a handler module importing a function no host provides;
;; `wasmhive serve` must refuse it at start, not answer 500 to every request.
(module
  (import "env" "not_provided" (func $np (result i32)))
  (memory (export "memory") 1)
  (func (export "handle_http") (result i32) (call $np)))
