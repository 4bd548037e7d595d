;; bigmem_exported.wat is bigmem.wat with its memory exported.
(module
  (memory (export "memory") 2000)
  (func (export "_start")))
