;; counter.wat calls the engine tests' host function limits_test.count(n),
;; which adds n to a per-call engine.CallCounter and returns the count.
;; twice(a, b) counts a then b and returns the second count; limit() calls
;; limits_test.limit, which ends the call with an *engine.LimitError;
;; count_loop(n) and nop_loop(n) call count(1), or limits_test.nop (the
;; same host function without the counter), n times, for a benchmark.
(module
  (import "limits_test" "count" (func $count (param i64) (result i64)))
  (import "limits_test" "nop" (func $nop (param i64) (result i64)))
  (import "limits_test" "limit" (func $limit))
  (func (export "twice") (param i64 i64) (result i64)
    (drop (call $count (local.get 0)))
    (call $count (local.get 1)))
  (func (export "limit")
    (call $limit))
  (func (export "count_loop") (param $n i64) (result i64)
    (local $r i64)
    (block $done
      (loop $again
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $r (call $count (i64.const 1)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $again)))
    (local.get $r))
  (func (export "nop_loop") (param $n i64) (result i64)
    (local $r i64)
    (block $done
      (loop $again
        (br_if $done (i64.eqz (local.get $n)))
        (local.set $r (call $nop (i64.const 1)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $again)))
    (local.get $r)))
