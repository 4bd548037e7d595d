;; orders: an HTTP handler that imports an interface of its own,
;; acme:orders/pricing (linked to pricer, which lacks total), and
;; acme:orders/audit, which nothing satisfies.
(module
  (import "extism:host/env" "input_length" (func (result i64)))
  (import "acme:orders/pricing" "quote" (func (param i64) (result i64)))
  (import "acme:orders/pricing" "total" (func (param i64 i64) (result i64)))
  (import "acme:orders/audit" "log" (func (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "handle_http") (result i32) i32.const 0))
