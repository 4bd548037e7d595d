// check.c calls every helper of wasmhive.h once, so that check.sh can
// compile the whole header with every warning as an error, and list the
// imports a module using all of it gets (one per capability function). It is
// not a guest to run: its exports only pass the helpers' results on.
#include "wasmhive.h" // -I.. (pdk/c)

static int64_t sink;

static void use(wh_reply r) {
	sink += r.status + (int64_t)r.len;
	wh_reply_free(r);
}

WH_EXPORT("keyvalue") int32_t keyvalue(void) {
	int flag = 0;
	int64_t v = 0;
	use(wh_kv_get("k", 1));
	use(wh_kv_set("k", 1, "v", 1));
	use(wh_kv_delete("k", 1));
	use(wh_kv_exists("k", 1, &flag));
	use(wh_kv_list_keys("p", 1, NULL, 0));
	use(wh_kv_increment("n", 1, -2, &v));
	use(wh_kv_compare_and_swap("k", 1, NULL, 0, "v", 1, &flag));
	wh_bytes keys[2] = {{"a", 1}, {"b", 1}};
	use(wh_kv_get_many(keys, 2));
	use(wh_kv_set_many(keys, keys, 2));
	use(wh_kv_delete_many(keys, 2));
	return (int32_t)(v + flag);
}

WH_EXPORT("http") int32_t http(void) {
	wh_bytes names[1] = {{"Accept", 6}}, values[1] = {{"*/*", 3}};
	wh_reply r = wh_http_send("GET", "http://127.0.0.1/", 1000, names, values, 1, NULL, 0);
	uint64_t n = 0;
	char *p = wh_reply_dup(r, &n);
	wh_http_response resp;
	int32_t rc = p && wh_http_response_parse(p, n, &resp) == 0 ? (int32_t)resp.status : -1;
	if (rc >= 0) {
		for (uint32_t i = 0; i < resp.nheaders; i++) {
			wh_bytes name = wh_rd_item(&resp.headers), value = wh_rd_item(&resp.headers);
			sink += (int64_t)(name.len + value.len);
		}
	}
	free(p);
	wh_reply_free(r);
	return rc;
}

WH_EXPORT("messaging") int32_t messaging(void) {
	use(wh_msg_publish("a.b", "x", 1));
	use(wh_msg_request("a.b", "x", 1, 500));
	return 0;
}

WH_EXPORT("config") int32_t config(void) {
	use(wh_cfg_get("k"));
	wh_reply r = wh_cfg_get_all();
	char buf[64];
	uint64_t n = wh_reply_read(r, 0, buf, sizeof buf);
	wh_rd rd = wh_rd_of(buf, n);
	uint32_t count = wh_rd_count(&rd, 8);
	sink += wh_rd_u8(&rd) + count + rd.failed;
	wh_reply_free(r);
	return 0;
}

WH_EXPORT("logging") int32_t logging(void) { return wh_log("info", "check", "hello"); }

WH_EXPORT("kernel") int32_t kernel(void) {
	uint8_t in[16];
	uint64_t n = wh_input_copy(in, sizeof in);
	uint8_t *all = wh_input_dup(&n);
	wh_buf b = WH_BUF_INIT;
	wh_buf_i64(&b, -1);
	wh_buf_item(&b, all, (size_t)n);
	wh_buf_list(&b, NULL, 0);
	wh_handle h = wh_buf_block(&b);
	wh_buf_free(&b);
	wh_block_free(h);
	free(all);
	wh_output(in, n < sizeof in ? n : sizeof in);
	return wh_error("done");
}

WH_EXPORT("bulk") int32_t bulk(void) {
	uint8_t in[16];
	uint64_t n = wh_bulk_input_read((uint64_t)(uintptr_t)in, sizeof in);
	wh_handle h = wh_alloc(n ? n : 1);
	wh_bulk_write(h, (uint64_t)(uintptr_t)in, n);
	wh_bulk_read(h, (uint64_t)(uintptr_t)in, n);
	wh_bulk_output_write((uint64_t)(uintptr_t)in, n);
	wh_free(h);
	return 0;
}
