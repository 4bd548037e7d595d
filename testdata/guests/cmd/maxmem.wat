;; maxmem.wat declares a maximum of 1000 pages (62.5 MiB) and exports grow:
;; under a smaller --max-memory it must still load, with growth stopping at
;; the cap. grow(n) returns memory.grow's result (old size in pages, or -1).
(module
  (memory (export "memory") 1 1000)
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0))))
