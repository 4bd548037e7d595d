// msg.c exercises the messaging helpers of wasmhive.h against the host: its
// export "run" publishes and sends requests, and outputs a transcript, one
// line per call, that ../header_test.go checks. Build it with ../build.sh.
#include "wasmhive.h"

static wh_buf out = WH_BUF_INIT;

static void put(const char *s) { wh_buf_bytes(&out, s, strlen(s)); }

static void line(const char *what, wh_reply r) {
	static const char *names[] = {"OK", "NONE", "ERROR"};
	put(what);
	put(": ");
	put(r.status == WH_BAD ? "BAD" : names[r.status]);
	uint64_t n;
	char *p = wh_reply_dup(r, &n);
	put(" [");
	wh_buf_bytes(&out, p, n);
	put("]\n");
	free(p);
	wh_reply_free(r);
}

WH_EXPORT("run") int32_t run(void) {
	line("publish c.events", wh_msg_publish("c.events", "hello", 5));
	line("request c.echo", wh_msg_request("c.echo", "ping", 4, 5000));
	line("request c.echo default timeout", wh_msg_request("c.echo", "again", 5, 0));
	line("request c.echo empty body", wh_msg_request("c.echo", NULL, 0, 5000));
	line("request c.nobody", wh_msg_request("c.nobody", "x", 1, 2000));
	line("publish other.x", wh_msg_publish("other.x", "no", 2));
	if (out.failed) return wh_error("out of memory");
	wh_output(out.p, out.len);
	wh_buf_free(&out);
	return 0;
}
