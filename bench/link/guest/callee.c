// callee.c: the target of the link benchmark (../): one interface
// function, bench:echo/api echo(payload), exported as an Extism plugin
// function under the name a link calls it by (docs/links.md):
// "bench:echo/api#echo". Its output is its input.
//
// It moves the bytes with wasmhive's bulk copies (one host call each way,
// through a static 64 KiB buffer) so that the benchmark measures the link,
// not 8-byte kernel loads. An input over 64 KiB is an error. No WASI
// import; a reactor (-mexec-model=reactor). Build it with build.sh.
#include "wasmhive.h"

#define MAX_PAYLOAD 65536

// One byte more than a payload may take, to see an input that is too long.
static uint8_t buf[MAX_PAYLOAD + 1];

WH_EXPORT("bench:echo/api#echo") int32_t echo(void) {
	uint64_t n = wh_bulk_input_read((uint64_t)(uintptr_t)buf, sizeof buf);
	if (n > MAX_PAYLOAD) return wh_error("echo: the input is over 65536 bytes");
	wh_bulk_output_write((uint64_t)(uintptr_t)buf, n);
	return 0;
}
