;; libuser.wat counts through lib.wat's count (linked as module "lib") and
;; through the host function directly, in one call.
(module
  (import "limits_test" "count" (func $count (param i64) (result i64)))
  (import "lib" "count" (func $libcount (param i64) (result i64)))
  (func (export "both") (param i64 i64) (result i64)
    (drop (call $libcount (local.get 0)))
    (call $count (local.get 1))))
