// Package extism implements the host side of the Extism plugin ABI on the
// wasmhive engine, so that plugins built with any official Extism PDK (Rust,
// Go, JS, C, AssemblyScript, Haskell...) run unmodified, plus one wasmhive
// extension for bulk copies.
//
// # Kernel memory
//
// Extism plugins exchange data with their host through "kernel memory": a
// memory separate from the plugin's linear memory, addressed by 64-bit
// handles. A handle is an offset into it; 0 is never a valid handle and
// means "none" or "allocation failed". Blocks are allocated with alloc,
// released with free, sized with length, and read or written 1 or 8 bytes
// at a time with load_u8/load_u64/store_u8/store_u64. Every access is
// bounds-checked: an access outside allocated kernel memory stops the call
// with an error (an *AccessError) instead of reading or writing host memory.
//
// Each instance's kernel memory belongs to its State, in one of two places.
// With LinkKernel (what package wasmhive does for every plugin), it is the
// linear memory of a small kernel module instantiated beside the plugin
// (kernel/kernel.wat, embedded), to which the plugin's "extism:host/env"
// imports are linked: the functions a plugin calls per 8 bytes of data
// (load_u8/u64, store_u8/u64, input_load_u8/u64, input_length) are wasm
// functions there, so a plugin moving bulk data through the unmodified
// Extism ABI makes wasm-to-wasm calls instead of host calls (several times
// faster, see compat/bench/extism); every other function is the Go host
// function, re-exported by the kernel module, and the allocator stays in
// Go, which reads and writes the kernel module's memory directly. Without
// LinkKernel, kernel memory is a Go byte slice and every function a host
// call; the behaviour is the same.
//
// A third place is the plugin's own linear memory (UsePluginMemory, which
// package wasmhive tries first). The engine compiles a plugin whose memory
// it can share (one memory of its own, 32-bit, no maximum, and either no
// memory.grow or built by rustc, whose allocators only use the pages
// memory.grow returns) with its calls of load_u8/u64, store_u8/u64 and
// input_load_u8/u64 inlined as memory accesses guarded by exported
// globals (engine.Module.KernelInlined, internal/interrupt/extism.go). The
// State then grows the plugin's memory and allocates its blocks in the
// pages it grew, so a handle is a plugin address and those accesses run
// at the speed of plain loads and stores. Any other access (handle 0, one
// outside the kernel's part of the memory, an input load past its end)
// takes the host function, with the behaviour of the other two places,
// with one relaxation: a handle inside the kernel's part of the memory but
// outside every block reads or writes the plugin's own memory instead of
// failing (see plugin.go). Go and TinyGo plugins, whose runtimes treat all
// of memory as theirs, keep the kernel instance.
//
// In all three places an input load past the end of the input reads 0,
// as Extism's own kernel gives, and a load straddling the end reads the
// bytes past it as 0.
//
// # Calls
//
// Call resets the kernel memory, makes the input available (read in place;
// it is copied into a kernel block only if the plugin asks for its handle
// with input_offset), calls the
// export (signature () -> i32, or () with no result), and copies the output
// block out. A non-zero return becomes a *PluginError carrying the message
// the plugin set with error_set. Runtime initialisation runs lazily before
// the first call, as Extism hosts run it: the engine runs _initialize at
// instantiation; Haskell's hs_init(0, 0) runs if exported; otherwise a WASI
// module exporting neither _initialize runs __wasm_call_ctors if exported.
//
// A State is attached to its instance with State.Attach (an engine.Key) and
// host functions find it with StateOf. A State serves one call at a time.
//
// # extism:host/env
//
// The functions a plugin imports from "extism:host/env" (all handles and
// lengths i64):
//
//	alloc(n) -> h            free(h)             length(h) -> n   length_unsafe(h) -> n
//	load_u8(h) -> i32        load_u64(h) -> i64  store_u8(h, i32) store_u64(h, i64)
//	input_length() -> n      input_offset() -> h input_load_u8(off) -> i32  input_load_u64(off) -> i64
//	input_set(h, n)          output_set(h, n)    output_length() -> n  output_offset() -> h
//	error_set(h)             error_get() -> h    reset()          memory_bytes() -> n
//	config_get(key) -> h     var_get(key) -> h   var_set(key, value)   (value 0 deletes)
//	http_request(req, body) -> h   http_status_code() -> i32   http_headers() -> h
//	log_trace(h) log_debug(h) log_info(h) log_warn(h) log_error(h)  get_log_level() -> i32
//
// config_get and var_get return 0 when the key is absent. var_set fails the
// call when the variable store would exceed StateConfig.MaxVarBytes (1 MiB by
// default, as Extism). http_request takes a JSON request
// {"method","url","headers"} and is denied unless the URL's host matches one
// of StateConfig.AllowedHosts (globs: "*.example.com", "127.0.0.1", "*");
// redirects are checked against the same list. http_headers returns a JSON
// object of the last response's headers (lower-case names, values joined
// with ","). get_log_level returns 0 (trace) to 4 (error), or MaxInt32 when
// logging is off; log_* messages go to StateConfig.Logger (log/slog).
//
// # wasmhive:host/bulk (extension)
//
// The Extism ABI moves data 8 bytes per host call. Plugins built with the
// wasmhive PDK in its opt-in fast build may import module
// "wasmhive:host/bulk" instead, which copies between kernel memory and the
// calling module's linear memory in one call. Guest pointers are passed as
// i64 (the low 32 bits address a wasm32 memory):
//
//	read(h i64, ptr i64, n i64)        copy kernel[h, h+n) to guest memory[ptr, ptr+n)
//	write(h i64, ptr i64, n i64)       copy guest memory[ptr, ptr+n) to kernel[h, h+n)
//	input_read(ptr i64, n i64) -> i64  copy min(n, input length) input bytes to guest
//	                                   memory at ptr; returns the count copied
//	output_write(ptr i64, n i64)       allocate a block, copy guest memory[ptr, ptr+n)
//	                                   into it and make it the output (one call)
//
// Any range outside kernel memory or guest memory stops the call with an
// error. A plugin importing this module runs only on wasmhive; the default
// PDK build does not import it and runs on every Extism host.
package extism
