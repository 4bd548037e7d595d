;; Every way an import can fail to resolve when linked with lib.wat: served
;; fine (add), not exported by the library (missing), exported with another
;; signature (neg), and from a module nothing provides (nowhere.f).
(module
  (import "lib" "add" (func (param i32 i32) (result i32)))
  (import "nowhere" "f" (func))
  (import "lib" "missing" (func))
  (import "lib" "neg" (func (param i64) (result i64))))
