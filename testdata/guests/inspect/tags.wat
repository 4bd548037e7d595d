;; Exception-handling tags: one imported, one defined and exported.
(module
  (import "env" "oops" (tag (param i32)))
  (tag $t (export "failure") (param i64 i32))
  (func (export "run")))
