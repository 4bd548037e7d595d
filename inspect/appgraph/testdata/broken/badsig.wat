;; badsig: imports acme:orders/pricing's quote with i32s, not the calling
;; convention's i64 handles.
(module
  (import "extism:host/env" "input_length" (func (result i64)))
  (import "acme:orders/pricing" "quote" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "handle_http") (result i32) i32.const 0))
