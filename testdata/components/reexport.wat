;; A component that exports two functions of its import as they are:
;; calling its exports calls the host's functions (tests of typed calls
;; of an export that is a host function).
(component
  (import "wasmhive:test/host@0.1.0" (instance $h
    (export "add" (func (param "a" s32) (param "b" s32) (result s32)))
    (export "greet" (func (param "name" string) (result string)))))
  (alias export $h "add" (func $add))
  (alias export $h "greet" (func $greet))
  (export "add" (func $add))
  (export "greet" (func $greet)))
