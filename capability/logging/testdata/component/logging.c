// logging.c is the core module of logging.wasm, a component importing
// wasi:logging/logging 0.1.0-draft whose export emit (logging.wit) passes
// its arguments on to log as they are: the export's parameters have the
// import's types, so the same flat form. Written against the Canonical ABI
// by hand (no bindings generator, no libc). Built with -DUNVERSIONED it
// imports the interface by the unversioned name wasi:logging/logging, as
// components built against wasi:logging's WIT before it had a version do
// (logging-unversioned.wasm).
#include <stdint.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))

#ifdef UNVERSIONED
#define LOGGING "wasi:logging/logging"
#else
#define LOGGING "wasi:logging/logging@0.1.0-draft"
#endif

IMPORT(LOGGING, "log") void log_(int32_t level, int32_t cp, int32_t cl, int32_t mp, int32_t ml);

static unsigned char heap[1 << 16];
static uint32_t top;

// cabi_realloc is a bump allocator that starts again at the beginning of
// its heap for each call's arguments (emit keeps nothing).
EXPORT("cabi_realloc") int32_t cabi_realloc(int32_t old, int32_t oldlen, int32_t align, int32_t len) {
  top = (top + (uint32_t)align - 1) & ~((uint32_t)align - 1);
  if (top + (uint32_t)len > sizeof heap) {
    __builtin_trap();
  }
  unsigned char *p = &heap[top];
  top += (uint32_t)len;
  const unsigned char *from = (const unsigned char *)(uintptr_t)old;
  for (int32_t i = 0; old && i < oldlen && i < len; i++) {
    p[i] = from[i];
  }
  return (int32_t)(uintptr_t)p;
}

EXPORT("emit") void emit(int32_t level, int32_t cp, int32_t cl, int32_t mp, int32_t ml) {
  log_(level, cp, cl, mp, ml);
  top = 0;
}
