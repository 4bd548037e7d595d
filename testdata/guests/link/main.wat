;; Imports add from the library "lib" (see lib.wat) and calls it.
(module
  (import "lib" "add" (func $add (param i32 i32) (result i32)))
  (func (export "run") (result i32)
    i32.const 2
    i32.const 3
    call $add))
