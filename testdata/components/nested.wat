;; nested.wat: a hand-written component covering what the toolchain-built
;; ones do not: nested components and their instantiation, component and
;; instance types, outer aliases, a core module type, inline instances,
;; resource built-ins, a start function and type exports.
(component $outer
  (type $point (record (field "x" s32) (field "y" s32)))
  (type $iface (instance
    (alias outer $outer $point (type $p))
    (export "point" (type (eq $p)))
    (export "r" (type (sub resource)))
    (type $own (own 2))
    (export "make" (func (result $own)))
    (export "get" (func (param "at" u32) (result 1)))))
  (import "wasmhive:test/geo@0.1.0" (instance $geo (type $iface)))
  (alias export $geo "get" (func $get))
  (alias export $geo "point" (type $gpoint))
  (core type $mt (module
    (import "env" "log" (func (param i32 i32)))
    (export "run" (func))))
  (type $ctype (component
    (import "point" (type $pp (eq $point)))
    (import "get" (func (param "at" u32) (result $pp)))
    (export "run" (func))))

  (core module $m
    (memory (export "mem") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
    (func (export "start"))
    (func (export "dtor") (param i32))
    (func (export "twice") (param i32) (result i32) local.get 0 i32.const 2 i32.mul))
  (core instance $mi (instantiate $m))
  (alias core export $mi "mem" (core memory $mem))
  (alias core export $mi "realloc" (core func $realloc))
  (alias core export $mi "dtor" (core func $dtor))
  (type $res (resource (rep i32) (dtor (core func $dtor))))
  (core func $rnew (canon resource.new $res))
  (core func $rrep (canon resource.rep $res))
  (core func $rdrop (canon resource.drop $res))
  (core func $get-lowered (canon lower (func $get) (memory $mem)))
  (core instance $bundle (export "get" (func $get-lowered)) (export "new" (func $rnew)))
  (type $twice-t (func (param "v" u32) (result u32)))
  (func $twice (type $twice-t) (canon lift (core func $mi "twice")))
  (func $start (canon lift (core func $mi "start")))
  (start $start)

  (component $inner
    (import "point" (type $ip (eq $point)))
    (import "get" (func $g (param "at" u32) (result $ip)))
    (import "twice" (func $t (param "v" u32) (result u32)))
    (alias outer $outer $point (type $pt))
    (export "point" (type $pt))
    (export "twice" (func $t)))
  (instance $i1 (instantiate $inner (with "point" (type $gpoint)) (with "get" (func $get)) (with "twice" (func $twice))))
  (alias export $i1 "twice" (func $twice2))
  (instance $exports (export "twice" (func $twice2)) (export "point" (type $point)))
  (export "point" (type $point))
  (export "twice" (func $twice2))
  (export "wasmhive:test/api@0.1.0" (instance $exports))
  (export "inner" (component $inner))
)
