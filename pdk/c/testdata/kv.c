// kv.c exercises the keyvalue helpers of wasmhive.h against the host: its
// export "run" performs a fixed sequence of calls and outputs a transcript,
// one line per call, that ../header_test.go compares with the expected one.
// Build it with ../build.sh.
#include "wasmhive.h"

static wh_buf out = WH_BUF_INIT;

static void put(const char *s) { wh_buf_bytes(&out, s, strlen(s)); }

static void put_bytes(const void *p, size_t n) { wh_buf_bytes(&out, p, n); }

static void put_int(int64_t v) {
	char d[21];
	int i = 21;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0) d[--i] = '-';
	put_bytes(d + i, (size_t)(21 - i));
}

// status appends the reply's status and, for OK and ERROR, its payload in
// brackets, then frees the reply.
static void status(wh_reply r, int payload) {
	static const char *names[] = {"OK", "NONE", "ERROR"};
	put(r.status == WH_BAD ? "BAD" : names[r.status]);
	if (payload && (r.status == WH_OK || r.status == WH_ERROR)) {
		uint64_t n;
		char *p = wh_reply_dup(r, &n);
		put(" [");
		put_bytes(p, n);
		put("]");
		free(p);
	}
	wh_reply_free(r);
}

static void line(const char *what, wh_reply r, int payload) {
	put(what);
	put(": ");
	status(r, payload);
	put("\n");
}

static void flag(const char *what, wh_reply r, int f) {
	put(what);
	put(": ");
	int ok = r.status == WH_OK;
	status(r, !ok);
	if (ok) put(f ? " 1" : " 0");
	put("\n");
}

static void list(const char *what, const char *prefix, const char *cursor) {
	wh_reply r = wh_kv_list_keys(prefix, strlen(prefix), cursor, strlen(cursor));
	put(what);
	put(": ");
	if (r.status != WH_OK) {
		status(r, 1);
		put("\n");
		return;
	}
	uint64_t n;
	char *p = wh_reply_dup(r, &n);
	wh_reply_free(r);
	wh_rd rd = wh_rd_of(p, n);
	wh_bytes next = wh_rd_item(&rd);
	uint32_t count = wh_rd_count(&rd, 4);
	put("next [");
	put_bytes(next.p, next.len);
	put("] keys");
	for (uint32_t i = 0; i < count; i++) {
		wh_bytes k = wh_rd_item(&rd);
		put(" ");
		put_bytes(k.p, k.len);
	}
	if (rd.failed || rd.len != 0) put(" MALFORMED");
	put("\n");
	free(p);
}

WH_EXPORT("run") int32_t run(void) {
	int f = -1;
	int64_t v = 0;
	wh_reply r;

	line("set a", wh_kv_set("a", 1, "1", 1), 1);
	line("get a", wh_kv_get("a", 1), 1);
	line("get zz", wh_kv_get("zz", 2), 1);
	flag("exists a", wh_kv_exists("a", 1, &f), f);
	flag("exists zz", wh_kv_exists("zz", 2, &f), f);
	line("set empty", wh_kv_set("empty", 5, NULL, 0), 1);
	line("get empty", wh_kv_get("empty", 5), 1);
	line("delete a", wh_kv_delete("a", 1), 1);
	line("delete a again", wh_kv_delete("a", 1), 1);
	flag("exists a", wh_kv_exists("a", 1, &f), f);

	r = wh_kv_increment("n", 1, 5, &v);
	put("increment n 5: ");
	status(r, 0);
	put(" ");
	put_int(v);
	put("\n");
	r = wh_kv_increment("n", 1, -7, &v);
	put("increment n -7: ");
	status(r, 0);
	put(" ");
	put_int(v);
	put("\n");
	line("get n", wh_kv_get("n", 1), 1);

	flag("cas k absent v1", wh_kv_compare_and_swap("k", 1, NULL, 0, "v1", 2, &f), f);
	flag("cas k absent v2", wh_kv_compare_and_swap("k", 1, NULL, 0, "v2", 2, &f), f);
	flag("cas k v2 v3", wh_kv_compare_and_swap("k", 1, "v2", 2, "v3", 2, &f), f);
	flag("cas k v1 v2", wh_kv_compare_and_swap("k", 1, "v1", 2, "v2", 2, &f), f);
	line("get k", wh_kv_get("k", 1), 1);
	line("increment k", wh_kv_increment("k", 1, 1, &v), 0);

	wh_bytes keys[3] = {{"p:1", 3}, {"p:2", 3}, {"p:3", 3}};
	wh_bytes values[3] = {{"x", 1}, {"", 0}, {"zzz", 3}};
	line("set_many", wh_kv_set_many(keys, values, 3), 1);
	wh_bytes want[3] = {{"p:1", 3}, {"nope", 4}, {"p:2", 3}};
	r = wh_kv_get_many(want, 3);
	put("get_many: ");
	if (r.status == WH_OK) {
		uint64_t n;
		char *p = wh_reply_dup(r, &n);
		wh_rd rd = wh_rd_of(p, n);
		for (int i = 0; i < 3; i++) {
			uint8_t found = wh_rd_u8(&rd);
			wh_bytes val = wh_rd_item(&rd);
			put(found ? "[" : "absent[");
			put_bytes(val.p, val.len);
			put("] ");
		}
		if (rd.failed || rd.len != 0) put("MALFORMED");
		free(p);
	}
	status(r, 0);
	put("\n");
	list("list p:", "p:", "");
	list("list all", "", "");
	line("delete_many", wh_kv_delete_many(keys, 2), 1);
	list("list p:", "p:", "");
	line("get empty key", wh_kv_get(NULL, 0), 0);

	if (out.failed) return wh_error("out of memory");
	wh_output(out.p, out.len);
	wh_buf_free(&out);
	return 0;
}
