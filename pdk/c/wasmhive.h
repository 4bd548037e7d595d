/*
 * wasmhive.h: a single-header C SDK for wasmhive guests.
 *
 * It declares the Extism kernel imports ("extism:host/env") and every
 * function of wasmhive's capability ABI version 1 (docs/capabilities.md:
 * keyvalue store, atomics and batch; http outgoing; messaging producer;
 * config; logging), with small helpers around them. Everything is a
 * declaration or a static inline function: include it and build with
 * Debian's clang and wasi-libc, no library to link:
 *
 *     clang --target=wasm32-wasi -O2 -mexec-model=reactor \
 *           -Ipdk/c -o plugin.wasm plugin.c
 *
 * Only what a guest calls ends up in its module, so a guest imports exactly
 * the capabilities it uses (wasmhive refuses at load a module importing a
 * capability its component was not granted). The helpers need memcpy,
 * memcmp, strlen, malloc, realloc and free, all of which wasi-libc has.
 *
 * NAMES
 *
 *   wh_<extism name>            an Extism kernel import, as the kernel names
 *                               it: wh_alloc, wh_input_length, wh_output_set,
 *                               wh_config_get, wh_log_info...
 *   wh_<cap>_<iface>_<func>     a capability import, raw: handles in, the
 *                               reply's handle out (wh_keyvalue_store_get,
 *                               wh_keyvalue_atomics_increment...)
 *   wh_kv_*, wh_http_send,      the same functions taking C buffers and
 *   wh_msg_*, wh_cfg_*, wh_log  returning a wh_reply: they make the
 *                               parameter blocks, call, free the parameter
 *                               blocks, and read the reply's status
 *   wh_block*, wh_reply*,       kernel memory blocks, replies, and the
 *   wh_buf*, wh_rd*             ABI's encodings (write and read)
 *
 * CALLING CONVENTION (docs/capabilities.md)
 *
 * A capability function takes i64 handles of kernel memory blocks (0: empty
 * bytes) and returns the handle of a new block, the reply: byte 0 is the
 * status (WH_OK, WH_NONE, WH_ERROR), the rest is the payload (for WH_ERROR,
 * a UTF-8 message). Integers are little-endian; an item is a u32 length and
 * that many bytes; a list is a u32 count and that many items; a pair list is
 * a u32 count and, per pair, two items.
 *
 * Every wh_reply a helper returns must be released with wh_reply_free
 * (which reads nothing and is safe on a zero wh_reply). A reply's payload is
 * read with wh_reply_read (into your buffer) or wh_reply_dup (a malloc'd,
 * NUL-terminated copy).
 *
 *     int64_t n;
 *     wh_reply r = wh_kv_increment("hits", 4, 1, &n);
 *     if (r.status == WH_ERROR) {
 *         char *msg = wh_reply_dup(r, NULL);   // the host's message
 *         ...
 *         free(msg);
 *     }
 *     wh_reply_free(r);
 *
 * Kernel memory is the host's (1 GiB per instance by default). When the host
 * refuses an allocation (wh_alloc returns 0), wh_block and the helpers trap:
 * a guest that cannot pass its parameters cannot go on, and handle 0 would
 * silently mean "empty bytes". A malloc failure in a wh_buf is reported by
 * wh_buf's failed flag, and the helpers that build one trap on it too.
 *
 * HANDLERS
 *
 * An HTTP handler for `wasmhive serve` / `wasmhive up` exports handle_http
 * (WH_EXPORT("handle_http"), or -Wl,--export=handle_http): no parameters,
 * an int32_t result (0: success; otherwise the message set with wh_error is
 * logged and the client gets a 500). Its input is the request and its
 * output the response, in the httpwire format (docs/http-wire-format.md);
 * examples/kvcounter/c/kvcounter.c is a complete one.
 *
 * The copies below use the plain Extism ABI (8 bytes per host call), which
 * every Extism host has. wasmhive's bulk-copy imports ("wasmhive:host/bulk",
 * one host call per copy) are declared too, as wh_bulk_*, for guests that
 * run only on wasmhive.
 */
#ifndef WASMHIVE_H
#define WASMHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
/* WH_EXPORT("name") exports a function under name. */
#define WH_EXPORT(name) __attribute__((export_name(name)))

/* A handle: the offset of a block in the host's kernel memory (0: none). */
typedef uint64_t wh_handle;

/* ---- Extism kernel: extism:host/env ---------------------------------- */

#define WH_EXTISM(name) WH_IMPORT("extism:host/env", name)

WH_EXTISM("alloc") wh_handle wh_alloc(uint64_t n);
WH_EXTISM("free") void wh_free(wh_handle h);
WH_EXTISM("length") uint64_t wh_length(wh_handle h);
WH_EXTISM("length_unsafe") uint64_t wh_length_unsafe(wh_handle h);
WH_EXTISM("load_u8") uint32_t wh_load_u8(uint64_t offset);
WH_EXTISM("load_u64") uint64_t wh_load_u64(uint64_t offset);
WH_EXTISM("store_u8") void wh_store_u8(uint64_t offset, uint32_t v);
WH_EXTISM("store_u64") void wh_store_u64(uint64_t offset, uint64_t v);
WH_EXTISM("input_length") uint64_t wh_input_length(void);
WH_EXTISM("input_offset") wh_handle wh_input_offset(void);
WH_EXTISM("input_load_u8") uint32_t wh_input_load_u8(uint64_t offset);
WH_EXTISM("input_load_u64") uint64_t wh_input_load_u64(uint64_t offset);
WH_EXTISM("output_set") void wh_output_set(wh_handle h, uint64_t n);
WH_EXTISM("error_set") void wh_error_set(wh_handle h);
WH_EXTISM("config_get") wh_handle wh_config_get(wh_handle key);
WH_EXTISM("var_get") wh_handle wh_var_get(wh_handle key);
WH_EXTISM("var_set") void wh_var_set(wh_handle key, wh_handle value);
WH_EXTISM("http_request") wh_handle wh_http_request(wh_handle req_json, wh_handle body);
WH_EXTISM("http_status_code") int32_t wh_http_status_code(void);
WH_EXTISM("get_log_level") int32_t wh_get_log_level(void);
WH_EXTISM("log_trace") void wh_log_trace(wh_handle msg);
WH_EXTISM("log_debug") void wh_log_debug(wh_handle msg);
WH_EXTISM("log_info") void wh_log_info(wh_handle msg);
WH_EXTISM("log_warn") void wh_log_warn(wh_handle msg);
WH_EXTISM("log_error") void wh_log_error(wh_handle msg);

/* ---- wasmhive bulk copies: wasmhive:host/bulk (wasmhive only) -------- */

#define WH_BULK(name) WH_IMPORT("wasmhive:host/bulk", name)

/* Copies kernel[h, h+n) to guest memory at ptr. */
WH_BULK("read") void wh_bulk_read(wh_handle h, uint64_t ptr, uint64_t n);
/* Copies guest memory [ptr, ptr+n) to kernel[h, h+n). */
WH_BULK("write") void wh_bulk_write(wh_handle h, uint64_t ptr, uint64_t n);
/* Copies min(n, input length) input bytes to ptr; returns the count. */
WH_BULK("input_read") uint64_t wh_bulk_input_read(uint64_t ptr, uint64_t n);
/* Makes guest memory [ptr, ptr+n) the call's output. */
WH_BULK("output_write") void wh_bulk_output_write(uint64_t ptr, uint64_t n);

/* ---- capability ABI v1: raw imports ----------------------------------- */

/* wasmhive:keyvalue/store */
WH_IMPORT("wasmhive:keyvalue/store", "get") wh_handle wh_keyvalue_store_get(wh_handle key);
WH_IMPORT("wasmhive:keyvalue/store", "set") wh_handle wh_keyvalue_store_set(wh_handle key, wh_handle value);
WH_IMPORT("wasmhive:keyvalue/store", "delete") wh_handle wh_keyvalue_store_delete(wh_handle key);
WH_IMPORT("wasmhive:keyvalue/store", "exists") wh_handle wh_keyvalue_store_exists(wh_handle key);
WH_IMPORT("wasmhive:keyvalue/store", "list_keys") wh_handle wh_keyvalue_store_list_keys(wh_handle prefix, wh_handle cursor);
/* wasmhive:keyvalue/atomics */
WH_IMPORT("wasmhive:keyvalue/atomics", "increment") wh_handle wh_keyvalue_atomics_increment(wh_handle key, wh_handle delta);
WH_IMPORT("wasmhive:keyvalue/atomics", "compare_and_swap") wh_handle wh_keyvalue_atomics_compare_and_swap(wh_handle key, wh_handle old, wh_handle new_value);
/* wasmhive:keyvalue/batch */
WH_IMPORT("wasmhive:keyvalue/batch", "get_many") wh_handle wh_keyvalue_batch_get_many(wh_handle keys);
WH_IMPORT("wasmhive:keyvalue/batch", "set_many") wh_handle wh_keyvalue_batch_set_many(wh_handle pairs);
WH_IMPORT("wasmhive:keyvalue/batch", "delete_many") wh_handle wh_keyvalue_batch_delete_many(wh_handle keys);
/* wasmhive:http/outgoing */
WH_IMPORT("wasmhive:http/outgoing", "request") wh_handle wh_http_outgoing_request(wh_handle request);
/* wasmhive:messaging/producer */
WH_IMPORT("wasmhive:messaging/producer", "publish") wh_handle wh_messaging_producer_publish(wh_handle subject, wh_handle body);
WH_IMPORT("wasmhive:messaging/producer", "request") wh_handle wh_messaging_producer_request(wh_handle subject, wh_handle body, wh_handle timeout);
/* wasmhive:config/store */
WH_IMPORT("wasmhive:config/store", "get") wh_handle wh_config_store_get(wh_handle key);
WH_IMPORT("wasmhive:config/store", "get_all") wh_handle wh_config_store_get_all(void);
/* wasmhive:logging/logging */
WH_IMPORT("wasmhive:logging/logging", "log") wh_handle wh_logging_logging_log(wh_handle level, wh_handle context, wh_handle message);

/* ---- kernel memory blocks --------------------------------------------- */

/* wh_block_write copies n bytes from p into the block h at offset off. */
static inline void wh_block_write(wh_handle h, uint64_t off, const void *p, uint64_t n) {
	const uint8_t *b = (const uint8_t *)p;
	uint64_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, b + i, 8);
		wh_store_u64(h + off + i, v);
	}
	for (; i < n; i++) wh_store_u8(h + off + i, b[i]);
}

/* wh_block_read copies n bytes of the block h from offset off to dst. */
static inline void wh_block_read(wh_handle h, uint64_t off, void *dst, uint64_t n) {
	uint8_t *b = (uint8_t *)dst;
	uint64_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = wh_load_u64(h + off + i);
		memcpy(b + i, &v, 8);
	}
	for (; i < n; i++) b[i] = (uint8_t)wh_load_u8(h + off + i);
}

/* wh_block returns a new block holding n bytes of p; 0 (empty bytes) when
 * n is 0. It traps when the host refuses the allocation. */
static inline wh_handle wh_block(const void *p, uint64_t n) {
	if (n == 0) return 0;
	wh_handle h = wh_alloc(n);
	if (h == 0) __builtin_trap();
	wh_block_write(h, 0, p, n);
	return h;
}

/* wh_block_str is wh_block of a NUL-terminated string (without the NUL). */
static inline wh_handle wh_block_str(const char *s) { return wh_block(s, strlen(s)); }

/* wh_block_free frees h unless it is 0. */
static inline void wh_block_free(wh_handle h) {
	if (h != 0) wh_free(h);
}

/* ---- input, output, error --------------------------------------------- */

/* wh_input_copy copies the first min(cap, input length) bytes of the call's
 * input to dst and returns the input's whole length. */
static inline uint64_t wh_input_copy(void *dst, uint64_t cap) {
	uint64_t n = wh_input_length();
	uint64_t m = n < cap ? n : cap;
	uint8_t *b = (uint8_t *)dst;
	uint64_t i = 0;
	for (; i + 8 <= m; i += 8) {
		uint64_t v = wh_input_load_u64(i);
		memcpy(b + i, &v, 8);
	}
	for (; i < m; i++) b[i] = (uint8_t)wh_input_load_u8(i);
	return n;
}

/* wh_input_dup returns the call's input in a malloc'd buffer (free it) and
 * its length in *n; NULL when malloc fails. An empty input gives a valid
 * pointer and *n == 0. */
static inline uint8_t *wh_input_dup(uint64_t *n) {
	uint64_t len = wh_input_length();
	uint8_t *b = (uint8_t *)malloc(len ? len : 1);
	if (b != NULL) wh_input_copy(b, len);
	if (n != NULL) *n = len;
	return b;
}

/* wh_output makes n bytes of p the call's output. */
static inline void wh_output(const void *p, uint64_t n) { wh_output_set(wh_block(p, n), n); }

/* wh_error sets the call's error message and returns 1, for
 * `return wh_error("...");` from an export. */
static inline int32_t wh_error(const char *msg) {
	if (msg == NULL || msg[0] == 0) msg = "error";
	wh_error_set(wh_block_str(msg));
	return 1;
}

/* ---- replies ---------------------------------------------------------- */

/* Reply statuses (byte 0 of every reply), and WH_BAD for a block that is
 * not a reply (empty, or an unknown status byte). */
enum { WH_OK = 0, WH_NONE = 1, WH_ERROR = 2, WH_BAD = -1 };

/* wh_reply is a reply block: its handle, status and payload length. */
typedef struct {
	wh_handle handle;
	int status;   /* WH_OK, WH_NONE, WH_ERROR or WH_BAD */
	uint64_t len; /* the payload's length (the block's length - 1) */
} wh_reply;

/* wh_reply_of reads the status and length of the reply block h. */
static inline wh_reply wh_reply_of(wh_handle h) {
	wh_reply r = {h, WH_BAD, 0};
	uint64_t n = h ? wh_length(h) : 0;
	if (n == 0) return r;
	uint32_t s = wh_load_u8(h);
	if (s > WH_ERROR) return r;
	r.status = (int)s;
	r.len = n - 1;
	return r;
}

/* wh_reply_read copies up to n payload bytes from offset off to dst and
 * returns how many it copied. */
static inline uint64_t wh_reply_read(wh_reply r, uint64_t off, void *dst, uint64_t n) {
	if (r.status == WH_BAD || off >= r.len) return 0;
	if (n > r.len - off) n = r.len - off;
	wh_block_read(r.handle, 1 + off, dst, n);
	return n;
}

/* wh_reply_dup returns the payload in a malloc'd buffer with a NUL after
 * it (free it), and its length in *n (when n is not NULL); NULL when malloc
 * fails. */
static inline char *wh_reply_dup(wh_reply r, uint64_t *n) {
	uint64_t len = r.status == WH_BAD ? 0 : r.len;
	char *b = (char *)malloc(len + 1);
	if (b == NULL) return NULL;
	wh_reply_read(r, 0, b, len);
	b[len] = 0;
	if (n != NULL) *n = len;
	return b;
}

/* wh_reply_free frees the reply block (nothing for a zero wh_reply). */
static inline void wh_reply_free(wh_reply r) { wh_block_free(r.handle); }

/* ---- encodings: writing ----------------------------------------------- */

/* wh_bytes is a byte string: a pointer and a length. */
typedef struct {
	const void *p;
	size_t len;
} wh_bytes;

/* wh_buf is a growable byte buffer in guest memory, to build parameter
 * blocks: start empty (wh_buf b = WH_BUF_INIT;), append, wh_buf_block,
 * wh_buf_free. After a failed malloc every append is ignored and failed is
 * set. */
typedef struct {
	uint8_t *p;
	size_t len, cap;
	int failed;
} wh_buf;

/* WH_BUF_INIT is an empty wh_buf. */
#define WH_BUF_INIT {NULL, 0, 0, 0}

/* wh_buf_bytes appends n raw bytes. */
static inline void wh_buf_bytes(wh_buf *b, const void *p, size_t n) {
	if (b->failed || n == 0) return;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->failed = 1;
				return;
			}
			cap *= 2;
		}
		uint8_t *q = (uint8_t *)realloc(b->p, cap);
		if (q == NULL) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* wh_buf_u32 appends v, little-endian. */
static inline void wh_buf_u32(wh_buf *b, uint32_t v) {
	uint8_t e[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	wh_buf_bytes(b, e, 4);
}

/* wh_buf_i64 appends v, little-endian. */
static inline void wh_buf_i64(wh_buf *b, int64_t v) {
	uint64_t u = (uint64_t)v;
	uint8_t e[8];
	for (int i = 0; i < 8; i++) e[i] = (uint8_t)(u >> (8 * i));
	wh_buf_bytes(b, e, 8);
}

/* wh_buf_item appends an item: n as a u32, then the bytes. */
static inline void wh_buf_item(wh_buf *b, const void *p, size_t n) {
	if ((uint64_t)n > UINT32_MAX) {
		b->failed = 1;
		return;
	}
	wh_buf_u32(b, (uint32_t)n);
	wh_buf_bytes(b, p, n);
}

/* wh_buf_list appends a list of n items. */
static inline void wh_buf_list(wh_buf *b, const wh_bytes *items, size_t n) {
	wh_buf_u32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) wh_buf_item(b, items[i].p, items[i].len);
}

/* wh_buf_pairs appends a pair list of n pairs from names[i], values[i]. */
static inline void wh_buf_pairs(wh_buf *b, const wh_bytes *names, const wh_bytes *values, size_t n) {
	wh_buf_u32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		wh_buf_item(b, names[i].p, names[i].len);
		wh_buf_item(b, values[i].p, values[i].len);
	}
}

/* wh_buf_block returns a new block holding b's bytes (0 when b is empty),
 * trapping when b failed or the host refuses the allocation. */
static inline wh_handle wh_buf_block(const wh_buf *b) {
	if (b->failed) __builtin_trap();
	return wh_block(b->p, b->len);
}

/* wh_buf_free releases b's memory and makes it empty again. */
static inline void wh_buf_free(wh_buf *b) {
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

/* ---- encodings: reading ----------------------------------------------- */

/* wh_rd reads the encodings from bytes in guest memory (e.g. from
 * wh_reply_dup). The first failure (a read past the end, a count larger
 * than the bytes left could hold) sticks: check failed at the end. */
typedef struct {
	const uint8_t *p;
	size_t len;
	int failed;
} wh_rd;

/* wh_rd_of returns a reader of n bytes at p. */
static inline wh_rd wh_rd_of(const void *p, size_t n) {
	wh_rd r = {(const uint8_t *)p, n, 0};
	return r;
}

static inline int wh_rd_need(wh_rd *r, size_t n) {
	if (r->failed || r->len < n) {
		r->failed = 1;
		r->len = 0;
		return 0;
	}
	return 1;
}

/* wh_rd_u8 reads one byte. */
static inline uint8_t wh_rd_u8(wh_rd *r) {
	if (!wh_rd_need(r, 1)) return 0;
	uint8_t v = r->p[0];
	r->p++, r->len--;
	return v;
}

/* wh_rd_u32 reads a little-endian u32. */
static inline uint32_t wh_rd_u32(wh_rd *r) {
	if (!wh_rd_need(r, 4)) return 0;
	uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4, r->len -= 4;
	return v;
}

/* wh_rd_i64 reads a little-endian i64. */
static inline int64_t wh_rd_i64(wh_rd *r) {
	if (!wh_rd_need(r, 8)) return 0;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--) v = v << 8 | r->p[i];
	r->p += 8, r->len -= 8;
	return (int64_t)v;
}

/* wh_rd_item reads an item: its bytes, pointing into the reader's bytes
 * (NULL and 0 after a failure). */
static inline wh_bytes wh_rd_item(wh_rd *r) {
	wh_bytes v = {NULL, 0};
	uint32_t n = wh_rd_u32(r);
	if (!wh_rd_need(r, n)) return v;
	v.p = r->p;
	v.len = n;
	r->p += n, r->len -= n;
	return v;
}

/* wh_rd_count reads a list's count, checked against the bytes left (each
 * element takes at least min bytes: 4 for an item, 8 for a pair). */
static inline uint32_t wh_rd_count(wh_rd *r, size_t min) {
	uint32_t n = wh_rd_u32(r);
	if (min == 0) min = 1;
	if (!r->failed && (uint64_t)n > r->len / min) {
		r->failed = 1;
		r->len = 0;
		return 0;
	}
	return r->failed ? 0 : n;
}

/* ---- capability helpers ----------------------------------------------- */

/* wh_call1..3 call f with blocks of the buffers and free them after
 * (always inlined, so f is called directly, not through the table). */
#define WH_INLINE static inline __attribute__((always_inline))

WH_INLINE wh_reply wh_call1(wh_handle (*f)(wh_handle), const void *a, size_t an) {
	wh_handle ha = wh_block(a, an);
	wh_handle r = f(ha);
	wh_block_free(ha);
	return wh_reply_of(r);
}

WH_INLINE wh_reply wh_call2(wh_handle (*f)(wh_handle, wh_handle), const void *a, size_t an, const void *b, size_t bn) {
	wh_handle ha = wh_block(a, an), hb = wh_block(b, bn);
	wh_handle r = f(ha, hb);
	wh_block_free(ha);
	wh_block_free(hb);
	return wh_reply_of(r);
}

WH_INLINE wh_reply wh_call3(wh_handle (*f)(wh_handle, wh_handle, wh_handle), const void *a, size_t an, const void *b, size_t bn, const void *c, size_t cn) {
	wh_handle ha = wh_block(a, an), hb = wh_block(b, bn), hc = wh_block(c, cn);
	wh_handle r = f(ha, hb, hc);
	wh_block_free(ha);
	wh_block_free(hb);
	wh_block_free(hc);
	return wh_reply_of(r);
}

/* wh_call_buf calls f with a block of b's bytes, frees the block and b. */
WH_INLINE wh_reply wh_call_buf(wh_handle (*f)(wh_handle), wh_buf *b) {
	wh_handle h = wh_buf_block(b);
	wh_handle r = f(h);
	wh_block_free(h);
	wh_buf_free(b);
	return wh_reply_of(r);
}

/* wh_reply_flag reads a 1-byte boolean payload into *flag (when OK and not
 * NULL); a payload of another length makes the reply WH_BAD. */
static inline wh_reply wh_reply_flag(wh_reply r, int *flag) {
	if (r.status != WH_OK) return r;
	uint8_t b = 0;
	if (r.len != 1) {
		r.status = WH_BAD;
		return r;
	}
	wh_reply_read(r, 0, &b, 1);
	if (flag != NULL) *flag = b != 0;
	return r;
}

/* keyvalue (the component's bucket) */

/* wh_kv_get: OK with the value as payload, or NONE when key is absent. */
static inline wh_reply wh_kv_get(const void *key, size_t keylen) {
	return wh_call1(wh_keyvalue_store_get, key, keylen);
}

/* wh_kv_set stores value under key. */
static inline wh_reply wh_kv_set(const void *key, size_t keylen, const void *value, size_t valuelen) {
	return wh_call2(wh_keyvalue_store_set, key, keylen, value, valuelen);
}

/* wh_kv_delete removes key (an absent key is OK). */
static inline wh_reply wh_kv_delete(const void *key, size_t keylen) {
	return wh_call1(wh_keyvalue_store_delete, key, keylen);
}

/* wh_kv_exists sets *present (when OK). */
static inline wh_reply wh_kv_exists(const void *key, size_t keylen, int *present) {
	return wh_reply_flag(wh_call1(wh_keyvalue_store_exists, key, keylen), present);
}

/* wh_kv_list_keys lists keys starting with prefix after cursor (empty: from
 * the start), a page at a time. The payload is an item (the next cursor,
 * empty at the end) then a list of keys: read it with wh_rd_item and
 * wh_rd_count(&rd, 4). */
static inline wh_reply wh_kv_list_keys(const void *prefix, size_t prefixlen, const void *cursor, size_t cursorlen) {
	return wh_call2(wh_keyvalue_store_list_keys, prefix, prefixlen, cursor, cursorlen);
}

/* wh_kv_increment adds delta to the integer at key (absent: 0) atomically
 * and sets *value (when OK and not NULL) to the new value. */
static inline wh_reply wh_kv_increment(const void *key, size_t keylen, int64_t delta, int64_t *value) {
	uint8_t d[8];
	for (int i = 0; i < 8; i++) d[i] = (uint8_t)((uint64_t)delta >> (8 * i));
	wh_reply r = wh_call2(wh_keyvalue_atomics_increment, key, keylen, d, 8);
	if (r.status != WH_OK) return r;
	if (r.len != 8) {
		r.status = WH_BAD;
		return r;
	}
	wh_reply_read(r, 0, d, 8);
	wh_rd rd = wh_rd_of(d, 8);
	int64_t v = wh_rd_i64(&rd);
	if (value != NULL) *value = v;
	return r;
}

/* wh_kv_compare_and_swap sets key to new_value if its value is old
 * (oldlen 0: only if key is absent) and sets *swapped (when OK). */
static inline wh_reply wh_kv_compare_and_swap(const void *key, size_t keylen, const void *old, size_t oldlen, const void *new_value, size_t newlen, int *swapped) {
	return wh_reply_flag(wh_call3(wh_keyvalue_atomics_compare_and_swap, key, keylen, old, oldlen, new_value, newlen), swapped);
}

/* wh_kv_get_many reads n keys. The payload holds, for each key in order,
 * 1 byte (1 present, 0 absent) then an item (the value): read it with
 * wh_rd_u8 and wh_rd_item. */
static inline wh_reply wh_kv_get_many(const wh_bytes *keys, size_t n) {
	wh_buf b = WH_BUF_INIT;
	wh_buf_list(&b, keys, n);
	return wh_call_buf(wh_keyvalue_batch_get_many, &b);
}

/* wh_kv_set_many stores values[i] under keys[i] for i < n. */
static inline wh_reply wh_kv_set_many(const wh_bytes *keys, const wh_bytes *values, size_t n) {
	wh_buf b = WH_BUF_INIT;
	wh_buf_pairs(&b, keys, values, n);
	return wh_call_buf(wh_keyvalue_batch_set_many, &b);
}

/* wh_kv_delete_many removes n keys. */
static inline wh_reply wh_kv_delete_many(const wh_bytes *keys, size_t n) {
	wh_buf b = WH_BUF_INIT;
	wh_buf_list(&b, keys, n);
	return wh_call_buf(wh_keyvalue_batch_delete_many, &b);
}

/* http outgoing */

/* wh_http_send makes an HTTP request to an allowed host (grants.http).
 * timeout_ms 0 is the grant's default; headers are npairs (name, value)
 * pairs. The OK payload is the response: parse it with
 * wh_http_response_parse. */
static inline wh_reply wh_http_send(const char *method, const char *url, uint32_t timeout_ms,
                                    const wh_bytes *names, const wh_bytes *values, size_t npairs,
                                    const void *body, size_t bodylen) {
	wh_buf b = WH_BUF_INIT;
	wh_buf_item(&b, method, strlen(method));
	wh_buf_item(&b, url, strlen(url));
	wh_buf_u32(&b, timeout_ms);
	wh_buf_pairs(&b, names, values, npairs);
	wh_buf_bytes(&b, body, bodylen);
	return wh_call_buf(wh_http_outgoing_request, &b);
}

/* wh_http_response is a decoded response payload; its bytes point into the
 * payload passed to wh_http_response_parse. */
typedef struct {
	uint32_t status;
	uint32_t nheaders;
	wh_rd headers; /* nheaders pairs: wh_rd_item for the name, then the value */
	const uint8_t *body;
	size_t bodylen;
} wh_http_response;

/* wh_http_response_parse decodes n bytes of a response payload (e.g. from
 * wh_reply_dup) into *out; it returns 0, or -1 when they are malformed. */
static inline int wh_http_response_parse(const void *p, size_t n, wh_http_response *out) {
	wh_rd r = wh_rd_of(p, n);
	out->status = wh_rd_u32(&r);
	out->nheaders = wh_rd_count(&r, 8);
	out->headers = r;
	for (uint32_t i = 0; i < out->nheaders; i++) {
		wh_rd_item(&r);
		wh_rd_item(&r);
	}
	if (r.failed) return -1;
	out->headers.len -= r.len;
	out->body = r.p;
	out->bodylen = r.len;
	return 0;
}

/* messaging producer */

/* wh_msg_publish publishes body on a NATS subject (grants.messaging). */
static inline wh_reply wh_msg_publish(const char *subject, const void *body, size_t bodylen) {
	return wh_call2(wh_messaging_producer_publish, subject, strlen(subject), body, bodylen);
}

/* wh_msg_request publishes body on subject and waits for one reply (the
 * OK payload) up to timeout_ms (0: the grant's default). */
static inline wh_reply wh_msg_request(const char *subject, const void *body, size_t bodylen, uint32_t timeout_ms) {
	uint8_t t[4] = {(uint8_t)timeout_ms, (uint8_t)(timeout_ms >> 8), (uint8_t)(timeout_ms >> 16), (uint8_t)(timeout_ms >> 24)};
	return wh_call3(wh_messaging_producer_request, subject, strlen(subject), body, bodylen, t, timeout_ms ? 4 : 0);
}

/* config */

/* wh_cfg_get reads a configuration value: OK with the value, NONE when
 * unset. */
static inline wh_reply wh_cfg_get(const char *key) {
	return wh_call1(wh_config_store_get, key, strlen(key));
}

/* wh_cfg_get_all reads every configuration value: the payload is a pair
 * list (wh_rd_count(&rd, 8), then wh_rd_item twice per pair). */
static inline wh_reply wh_cfg_get_all(void) { return wh_reply_of(wh_config_store_get_all()); }

/* logging */

/* wh_log writes a record to the host's log; level is "trace", "debug",
 * "info", "warn", "error" or "critical". It returns the reply's status
 * (the reply is freed). */
static inline int wh_log(const char *level, const char *context, const char *message) {
	wh_reply r = wh_call3(wh_logging_logging_log, level, strlen(level), context, strlen(context), message, strlen(message));
	int s = r.status;
	wh_reply_free(r);
	return s;
}

#ifdef __cplusplus
}
#endif

#endif /* WASMHIVE_H */
