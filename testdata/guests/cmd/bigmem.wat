;; bigmem.wat declares a 2000-page (125 MiB) minimum memory that it does not
;; export: --max-memory below that must refuse to load it.
(module
  (memory 2000)
  (func (export "_start")))
