;; A small module for the manifest fixtures: exports the HTTP handler and
;; the messaging handler (Extism functions: no parameters, an i32 result).
(module
  (memory (export "memory") 1)
  (func (export "handle_http") (result i32) i32.const 0)
  (func (export "handle_message") (result i32) i32.const 0))
