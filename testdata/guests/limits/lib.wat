;; lib.wat is a library linked into libuser.wat: its code calls the host
;; function limits_test.count, so its counts belong to libuser's calls.
(module
  (import "limits_test" "count" (func $count (param i64) (result i64)))
  (func (export "count") (param i64) (result i64)
    (call $count (local.get 0))))
