// cfglog.c exercises the config and logging helpers of wasmhive.h against
// the host: its export "run" reads configuration values, then logs at each
// level, and outputs a transcript that ../header_test.go checks. Build it
// with ../build.sh.
#include "wasmhive.h"

static wh_buf out = WH_BUF_INIT;

static void put(const char *s) { wh_buf_bytes(&out, s, strlen(s)); }

static void value(const char *key) {
	wh_reply r = wh_cfg_get(key);
	put("get ");
	put(key);
	put(": ");
	if (r.status == WH_OK) {
		uint64_t n;
		char *p = wh_reply_dup(r, &n);
		put("OK [");
		wh_buf_bytes(&out, p, n);
		put("]");
		free(p);
	} else {
		put(r.status == WH_NONE ? "NONE" : "OTHER");
	}
	put("\n");
	wh_reply_free(r);
}

static void logged(const char *level, const char *context, const char *msg) {
	int s = wh_log(level, context, msg);
	put("log ");
	put(level);
	put(s == WH_OK ? ": OK\n" : s == WH_ERROR ? ": ERROR\n" : ": OTHER\n");
}

WH_EXPORT("run") int32_t run(void) {
	value("greeting");
	value("empty");
	value("missing");

	wh_reply r = wh_cfg_get_all();
	put("get_all:");
	if (r.status == WH_OK) {
		uint64_t n;
		char *p = wh_reply_dup(r, &n);
		wh_rd rd = wh_rd_of(p, n);
		uint32_t count = wh_rd_count(&rd, 8);
		for (uint32_t i = 0; i < count; i++) {
			wh_bytes k = wh_rd_item(&rd), v = wh_rd_item(&rd);
			put(" ");
			wh_buf_bytes(&out, k.p, k.len);
			put("=");
			wh_buf_bytes(&out, v.p, v.len);
		}
		if (rd.failed || rd.len != 0) put(" MALFORMED");
		free(p);
	} else {
		put(" NOT OK");
	}
	put("\n");
	wh_reply_free(r);

	logged("trace", "", "a trace");
	logged("debug", "", "a debug record");
	logged("info", "check", "hello from C");
	logged("warn", "check", "a warning");
	logged("error", "", "an error");
	logged("critical", "disk", "on fire");
	logged("loud", "", "no such level");
	if (out.failed) return wh_error("out of memory");
	wh_output(out.p, out.len);
	wh_buf_free(&out);
	return 0;
}
