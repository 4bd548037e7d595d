// http.c exercises the http helpers of wasmhive.h against the host: its
// export "run" takes a URL as input, POSTs to it with two X-Test headers,
// then asks for a host it is not allowed, and outputs a transcript that
// ../header_test.go checks. Build it with ../build.sh.
#include "wasmhive.h"

static wh_buf out = WH_BUF_INIT;

static void put(const char *s) { wh_buf_bytes(&out, s, strlen(s)); }

static void put_u32(uint32_t v) {
	char d[10];
	int i = 10;
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	wh_buf_bytes(&out, d + i, (size_t)(10 - i));
}

static void response(const char *what, wh_reply r) {
	put(what);
	put(": ");
	uint64_t n;
	char *p = wh_reply_dup(r, &n);
	wh_http_response resp;
	if (r.status != WH_OK) {
		put(r.status == WH_ERROR ? "ERROR [" : "BAD [");
		wh_buf_bytes(&out, p, n);
		put("]");
	} else if (wh_http_response_parse(p, n, &resp) != 0) {
		put("MALFORMED");
	} else {
		put("status ");
		put_u32(resp.status);
		put(" headers");
		for (uint32_t i = 0; i < resp.nheaders; i++) {
			wh_bytes name = wh_rd_item(&resp.headers), value = wh_rd_item(&resp.headers);
			if (name.len > 2 && memcmp(name.p, "x-", 2) == 0) {
				put(" ");
				wh_buf_bytes(&out, name.p, name.len);
				put("=");
				wh_buf_bytes(&out, value.p, value.len);
			}
		}
		if (resp.headers.failed || resp.headers.len != 0) put(" MALFORMED");
		put(" body [");
		wh_buf_bytes(&out, resp.body, resp.bodylen);
		put("]");
	}
	put("\n");
	free(p);
	wh_reply_free(r);
}

WH_EXPORT("run") int32_t run(void) {
	uint64_t n;
	uint8_t *in = wh_input_dup(&n);
	char *url = malloc(n + 1);
	if (in == NULL || url == NULL) return wh_error("out of memory");
	memcpy(url, in, n);
	url[n] = 0;
	wh_bytes names[2] = {{"X-Test", 6}, {"X-Test", 6}}, values[2] = {{"one", 3}, {"two", 3}};
	response("post", wh_http_send("POST", url, 5000, names, values, 2, "payload", 7));
	response("get", wh_http_send("GET", url, 0, NULL, NULL, 0, NULL, 0));
	response("denied", wh_http_send("GET", "http://denied.invalid/", 0, NULL, NULL, 0, NULL, 0));
	free(url);
	free(in);
	if (out.failed) return wh_error("out of memory");
	wh_output(out.p, out.len);
	wh_buf_free(&out);
	return 0;
}
