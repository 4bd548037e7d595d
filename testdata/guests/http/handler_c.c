// handler_c.c: a minimal handler-convention guest in C, for the benchmarks:
// it reads the httpwire request through the Extism ABI (8 bytes per host
// call, as Extism's own PDKs do), checks it, and answers GET / with
// "hello, world\n" (text/plain), /trap with a trap (unreachable), anything
// else with 404. It measures the host's side of the handler path without a
// language runtime in the guest.
#include <stdint.h>
#include <string.h>

#define EXTISM(name) __attribute__((import_module("extism:host/env"), import_name(name)))
EXTISM("input_length") uint64_t input_length(void);
EXTISM("input_load_u64") uint64_t input_load_u64(uint64_t offset);
EXTISM("input_load_u8") uint32_t input_load_u8(uint64_t offset);
EXTISM("alloc") uint64_t alloc(uint64_t n);
EXTISM("store_u64") void store_u64(uint64_t handle, uint64_t v);
EXTISM("store_u8") void store_u8(uint64_t handle, uint32_t v);
EXTISM("output_set") void output_set(uint64_t handle, uint64_t n);

static uint8_t in[1 << 16];
static uint8_t out[256];

static uint64_t uvarint(const uint8_t *b, uint64_t n, uint64_t *off) {
	uint64_t v = 0;
	for (int shift = 0; *off < n && shift < 64; shift += 7) {
		uint8_t c = b[(*off)++];
		v |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80) return v;
	}
	return ~0ull;
}

static void output(const uint8_t *b, uint64_t n) {
	uint64_t h = alloc(n), i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, b + i, 8);
		store_u64(h + i, v);
	}
	for (; i < n; i++) store_u8(h + i, b[i]);
	output_set(h, n);
}

static uint64_t put_str(uint8_t *b, uint64_t off, const char *s) {
	uint64_t n = strlen(s);
	b[off++] = (uint8_t)n; // every string here is shorter than 128 bytes
	memcpy(b + off, s, n);
	return off + n;
}

__attribute__((export_name("handle_http"))) int32_t handle_http(void) {
	uint64_t n = input_length(), i = 0;
	if (n > sizeof in) return 1;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = input_load_u64(i);
		memcpy(in + i, &v, 8);
	}
	for (; i < n; i++) in[i] = (uint8_t)input_load_u8(i);
	if (n == 0 || in[0] != 1) return 1;
	uint64_t off = 1;
	uint64_t mlen = uvarint(in, n, &off);
	if (mlen > n - off) return 1;
	const uint8_t *method = in + off;
	off += mlen;
	uint64_t plen = uvarint(in, n, &off);
	if (plen > n - off) return 1;
	const uint8_t *path = in + off;
	int hello = mlen == 3 && memcmp(method, "GET", 3) == 0 && plen == 1 && path[0] == '/';
	if (plen == 5 && memcmp(path, "/trap", 5) == 0) __builtin_trap();

	uint64_t o = 0;
	out[o++] = 1;                          // version
	if (hello) {
		out[o++] = 200 & 0x7f | 0x80; // status 200 as a uvarint
		out[o++] = 200 >> 7;
	} else {
		out[o++] = 404 & 0x7f | 0x80;
		out[o++] = 404 >> 7;
	}
	out[o++] = 1; // one header
	o = put_str(out, o, "Content-Type");
	o = put_str(out, o, "text/plain");
	o = put_str(out, o, hello ? "hello, world\n" : "not found\n");
	output(out, o);
	return 0;
}
