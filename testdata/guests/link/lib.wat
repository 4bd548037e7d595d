;; A library module for engine.Runtime.InstantiateLinked tests: its exports
;; serve a main module's imports. Rebuild with build.sh.
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add)
  (func (export "neg") (param i32) (result i32)
    i32.const 0
    local.get 0
    i32.sub))
