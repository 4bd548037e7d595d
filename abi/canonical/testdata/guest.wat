;; The test guest of package canonical: a memory, a bump-allocating realloc
;; and two functions that move values through memory. Rebuild guest.wasm
;; with: wat2wasm guest.wat -o guest.wasm
(module
  ;; upper(ptr, len, retptr): a host import taking a string and returning a
  ;; string through the return pointer.
  (import "host" "upper" (func $upper (param i32 i32 i32)))
  (memory (export "memory") 1 1024)
  (global $heap (mut i32) (i32.const 1024))
  (data (i32.const 64) "hello")

  ;; realloc(old, oldSize, align, newSize) -> ptr. Shrinks in place; else
  ;; bump-allocates (growing the memory as needed) and copies the old bytes.
  (func $realloc (export "realloc")
    (param $old i32) (param $oldSize i32) (param $align i32) (param $newSize i32) (result i32)
    (local $ptr i32) (local $end i32)
    (if (i32.and (i32.ne (local.get $old) (i32.const 0))
                 (i32.le_u (local.get $newSize) (local.get $oldSize)))
      (then (return (local.get $old))))
    (local.set $ptr
      (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
               (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $newSize)))
    (block $done
      (loop $grow
        (br_if $done (i32.le_u (local.get $end) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then (unreachable)))
        (br $grow)))
    (global.set $heap (local.get $end))
    (if (local.get $old)
      (then (memory.copy (local.get $ptr) (local.get $old) (local.get $oldSize))))
    (local.get $ptr))

  ;; reset() frees everything realloc gave.
  (func (export "reset") (global.set $heap (i32.const 1024)))

  ;; heap() -> the bump pointer.
  (func (export "heap") (result i32) (global.get $heap))

  ;; ret2(a, b) -> ptr: stores a and b at 16 and returns 16, as a lifted
  ;; function returns a result of two core values through memory.
  (func (export "ret2") (param i32 i32) (result i32)
    (i32.store (i32.const 16) (local.get 0))
    (i32.store (i32.const 20) (local.get 1))
    (i32.const 16))

  ;; run() -> ptr: calls upper("hello") with return pointer 32 and returns 32.
  (func (export "run") (result i32)
    (call $upper (i32.const 64) (i32.const 5) (i32.const 32))
    (i32.const 32))
)
