// caller.c: the importer of the link benchmark (../). Three Extism plugin
// functions, each with the input u32 N (iterations) then u32 S (payload
// bytes, at most 65536), little-endian, and as output 8 bytes: a u64
// checksum, the sum of the first byte of every answer, so that the work
// cannot be optimised away:
//
//	run_link   N calls of the import bench:echo/api echo(payload) -> reply,
//	           satisfied by a component link to callee.wasm (another
//	           component: another instance, another memory)
//	run_host   the same calls of extism:host/user echo, a Go host function
//	           of the benchmark that answers the same reply (status 0, then
//	           the payload): the same code, a host call instead of a link
//	run_plain  N calls of a function inside this module copying S bytes
//	           from one static buffer to another: a plain call
//
// run_link and run_host make the payload block (S bytes i & 0xff) once,
// then per call check that the reply's status is 0 (OK), read the
// payload's first byte (none when S is 0) and free the reply. No WASI
// import; a reactor (-mexec-model=reactor). Build it with build.sh.
#include "wasmhive.h"

#define MAX_PAYLOAD 65536

WH_IMPORT("bench:echo/api", "echo") wh_handle link_echo(wh_handle payload);
WH_IMPORT("extism:host/user", "echo") wh_handle host_echo(wh_handle payload);

static uint8_t src[MAX_PAYLOAD], dst[MAX_PAYLOAD];

// args reads N and S from the input; 0 (with the error set) when it is not
// 8 bytes or S is too large.
static int args(uint32_t *n, uint32_t *s) {
	uint8_t in[9];
	uint64_t got = wh_bulk_input_read((uint64_t)(uintptr_t)in, sizeof in);
	if (got != 8) {
		wh_error("the input must be 8 bytes: u32 iterations, u32 payload size (little-endian)");
		return 0;
	}
	*n = (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 | (uint32_t)in[3] << 24;
	*s = (uint32_t)in[4] | (uint32_t)in[5] << 8 | (uint32_t)in[6] << 16 | (uint32_t)in[7] << 24;
	if (*s > MAX_PAYLOAD) {
		wh_error("the payload size must be at most 65536");
		return 0;
	}
	return 1;
}

static int32_t result(uint64_t sum) {
	uint8_t out[8];
	for (int i = 0; i < 8; i++) out[i] = (uint8_t)(sum >> (8 * i));
	wh_bulk_output_write((uint64_t)(uintptr_t)out, 8);
	return 0;
}

// run_calls makes the payload block once and calls f N times with it
// (always inlined: f is called directly, not through the table).
static inline __attribute__((always_inline)) int32_t run_calls(wh_handle (*f)(wh_handle)) {
	uint32_t n, s;
	if (!args(&n, &s)) return 1;
	for (uint32_t i = 0; i < s; i++) src[i] = (uint8_t)i;
	wh_handle h = 0;
	if (s > 0) {
		h = wh_alloc(s);
		if (h == 0) return wh_error("the host refused an allocation for the payload");
		wh_bulk_write(h, (uint64_t)(uintptr_t)src, s);
	}
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++) {
		wh_handle r = f(h);
		if (r == 0 || wh_load_u8(r) != WH_OK) {
			wh_block_free(r);
			wh_block_free(h);
			return wh_error("echo: the reply is not OK");
		}
		if (s > 0) sum += wh_load_u8(r + 1);
		wh_free(r);
	}
	wh_block_free(h);
	return result(sum);
}

WH_EXPORT("run_link") int32_t run_link(void) { return run_calls(link_echo); }

WH_EXPORT("run_host") int32_t run_host(void) { return run_calls(host_echo); }

// plain is the plain call: copy s bytes, answer the first.
static __attribute__((noinline)) uint32_t plain(uint32_t s) {
	memcpy(dst, src, s);
	return dst[0];
}

WH_EXPORT("run_plain") int32_t run_plain(void) {
	uint32_t n, s;
	if (!args(&n, &s)) return 1;
	for (uint32_t i = 0; i < s; i++) src[i] = (uint8_t)i;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++) sum += plain(s);
	return result(sum);
}
