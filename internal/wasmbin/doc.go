// Package wasmbin is a small, defensive reader of WebAssembly binaries: core
// modules (sections, types, imports, exports, memories, tables, globals,
// custom sections) and Component Model binaries (top-level sections, import
// and export names, embedded core modules).
//
// It decodes structure, not code: function bodies and segments are located
// but not decoded, and nothing is validated beyond what decoding needs. It
// never panics on arbitrary input, caps every count by the bytes that remain
// (so a hostile length cannot make it allocate), and checks LEB128 overflow.
// Every error is a *FormatError carrying the byte offset of the problem.
package wasmbin
