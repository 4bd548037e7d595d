// kvcounter.c: the kvcounter HTTP handler in C, the twin of ../go/main.go
// and ../rust/kvcounter.rs (same responses, byte for byte; see ../README.md).
//
//	GET /a/b?amount=N  increments the key "counter:a:b" of the component's
//	                   bucket by N (default 1) through wasmhive:keyvalue/atomics
//	                   and answers 200 {"counter":VALUE}
//
// A non-integer amount answers 400, a store failure 500, a method other than
// GET 405 (with Allow: GET); every body is JSON with a final newline.
//
// It is a handler-convention module: it exports handle_http, reads the
// httpwire request (docs/http-wire-format.md) as the call's input and sets
// the response as its output, through pdk/c/wasmhive.h. Build it with
// ../build.sh.
#include "wasmhive.h"

// ---- httpwire ----------------------------------------------------------

typedef struct {
	const uint8_t *p;
	uint64_t n;
} str;

// uvarint reads an unsigned LEB128 value at *off; -1 (all ones) when it
// runs past n or is not a valid uvarint of at most 64 bits (as httpwire).
static uint64_t uvarint(const uint8_t *b, uint64_t n, uint64_t *off) {
	uint64_t v = 0;
	for (int shift = 0; *off < n && shift < 70; shift += 7) {
		uint8_t c = b[(*off)++];
		if (shift == 63 && c > 1) return ~0ull;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (c < 0x80) return v;
	}
	return ~0ull;
}

// string reads a uvarint-prefixed string; 0 when it runs past n.
static int string(const uint8_t *b, uint64_t n, uint64_t *off, str *s) {
	uint64_t len = uvarint(b, n, off);
	if (len > n - *off) return 0;
	s->p = b + *off;
	s->n = len;
	*off += len;
	return 1;
}

typedef struct {
	str method, path, query;
} request;

// decode checks the whole request and keeps what the handler needs.
static int decode(const uint8_t *b, uint64_t n, request *r) {
	if (n == 0 || b[0] != 1) return 0;
	uint64_t off = 1;
	if (!string(b, n, &off, &r->method) || !string(b, n, &off, &r->path) || !string(b, n, &off, &r->query)) return 0;
	uint64_t count = uvarint(b, n, &off);
	if (count > (n - off) / 2) return 0;
	str skip;
	for (uint64_t i = 0; i < count; i++) {
		if (!string(b, n, &off, &skip) || !string(b, n, &off, &skip)) return 0;
	}
	if (!string(b, n, &off, &skip)) return 0; // the body
	return off == n;
}

static void put_uvarint(wh_buf *b, uint64_t v) {
	uint8_t e[10];
	int i = 0;
	while (v >= 0x80) {
		e[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	e[i++] = (uint8_t)v;
	wh_buf_bytes(b, e, (size_t)i);
}

static void put_string(wh_buf *b, const void *p, size_t n) {
	put_uvarint(b, n);
	wh_buf_bytes(b, p, n);
}

static void put_cstring(wh_buf *b, const char *s) { put_string(b, s, strlen(s)); }

// ---- JSON and numbers --------------------------------------------------

static void put_cstr(wh_buf *b, const char *s) { wh_buf_bytes(b, s, strlen(s)); }

// json_escape appends the bytes of s escaped for a JSON string: '"', '\\'
// and control characters; other bytes (UTF-8) as they are.
static void json_escape(wh_buf *b, const uint8_t *s, uint64_t n) {
	static const char hex[] = "0123456789abcdef";
	for (uint64_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		switch (c) {
		case '"': put_cstr(b, "\\\""); break;
		case '\\': put_cstr(b, "\\\\"); break;
		case '\n': put_cstr(b, "\\n"); break;
		case '\r': put_cstr(b, "\\r"); break;
		case '\t': put_cstr(b, "\\t"); break;
		default:
			if (c < 0x20) {
				char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				wh_buf_bytes(b, e, 6);
			} else {
				wh_buf_bytes(b, &c, 1);
			}
		}
	}
}

static void put_int(wh_buf *b, int64_t v) {
	char d[20];
	int i = 20;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0) wh_buf_bytes(b, "-", 1);
	wh_buf_bytes(b, d + i, (size_t)(20 - i));
}

// parse_int parses s as Go's strconv.ParseInt(s, 10, 64) does: an optional
// sign, then one or more decimal digits, within the range of int64.
static int parse_int(const uint8_t *s, uint64_t n, int64_t *out) {
	uint64_t i = 0;
	int neg = 0;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n) return 0;
	uint64_t limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') return 0;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (limit - d) / 10) return 0;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 1;
}

// ---- the query ---------------------------------------------------------

static int unhex(uint8_t c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

// unescape decodes %XX and '+' (a space) of s[0:n] into dst (n bytes at
// most) as pdkhttp.Request.QueryValue does, leaving malformed escapes as
// they are, and returns the decoded length.
static uint64_t unescape(const uint8_t *s, uint64_t n, uint8_t *dst) {
	uint64_t o = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			dst[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && unhex(s[i + 1]) >= 0 && unhex(s[i + 2]) >= 0) {
			dst[o++] = (uint8_t)(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
			i += 2;
		} else {
			dst[o++] = s[i];
		}
	}
	return o;
}

// query_value finds the first value of key in the raw query q; it returns 1
// with the decoded value in buf (q.n bytes at most) and its length in *vn,
// or 0 when key is absent.
static int query_value(str q, const char *key, uint8_t *buf, uint64_t *vn) {
	uint64_t keylen = strlen(key);
	uint64_t i = 0;
	while (i < q.n) {
		uint64_t end = i;
		while (end < q.n && q.p[end] != '&') end++;
		uint64_t eq = i;
		while (eq < end && q.p[eq] != '=') eq++;
		uint64_t kn = unescape(q.p + i, eq - i, buf);
		if (kn == keylen && memcmp(buf, key, keylen) == 0) {
			*vn = eq < end ? unescape(q.p + eq + 1, end - eq - 1, buf) : 0;
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

// ---- the handler -------------------------------------------------------

// respond sets the output: status, Content-Type application/json, and Allow
// when allow is not NULL, with body b.
static int32_t respond(uint64_t status, const char *allow, const wh_buf *body) {
	wh_buf out = WH_BUF_INIT;
	wh_buf_bytes(&out, "\x01", 1);
	put_uvarint(&out, status);
	put_uvarint(&out, allow ? 2 : 1);
	put_cstring(&out, "Content-Type");
	put_cstring(&out, "application/json");
	if (allow) {
		put_cstring(&out, "Allow");
		put_cstring(&out, allow);
	}
	put_string(&out, body->p, body->len);
	if (out.failed || body->failed) {
		wh_buf_free(&out);
		return wh_error("kvcounter: out of memory");
	}
	wh_output(out.p, out.len);
	wh_buf_free(&out);
	return 0;
}

// fail answers status with {"error":MSG} where MSG is prefix then the bytes
// of detail (JSON-escaped) then suffix.
static int32_t fail(uint64_t status, const char *allow, const char *prefix, const uint8_t *detail, uint64_t n, const char *suffix) {
	wh_buf body = WH_BUF_INIT;
	put_cstr(&body, "{\"error\":\"");
	json_escape(&body, (const uint8_t *)prefix, strlen(prefix));
	json_escape(&body, detail, n);
	json_escape(&body, (const uint8_t *)suffix, strlen(suffix));
	put_cstr(&body, "\"}\n");
	int32_t rc = respond(status, allow, &body);
	wh_buf_free(&body);
	return rc;
}

static int32_t serve(const request *r) {
	if (!(r->method.n == 3 && memcmp(r->method.p, "GET", 3) == 0)) {
		return fail(405, "GET", "method ", r->method.p, r->method.n, " is not allowed; use GET");
	}

	int64_t amount = 1;
	uint8_t *buf = malloc(r->query.n + 1);
	if (buf == NULL) return wh_error("kvcounter: out of memory");
	uint64_t vn;
	if (query_value(r->query, "amount", buf, &vn) && !parse_int(buf, vn, &amount)) {
		int32_t rc = fail(400, NULL, "amount must be an integer, got \"", buf, vn, "\"");
		free(buf);
		return rc;
	}
	free(buf);

	// The key: "counter:" then the path's non-empty segments joined with ':'
	// ("/" gives "counter:", "/a//b/" gives "counter:a:b").
	wh_buf key = WH_BUF_INIT;
	put_cstr(&key, "counter:");
	int first = 1;
	for (uint64_t i = 0; i < r->path.n;) {
		uint64_t end = i;
		while (end < r->path.n && r->path.p[end] != '/') end++;
		if (end > i) {
			if (!first) wh_buf_bytes(&key, ":", 1);
			wh_buf_bytes(&key, r->path.p + i, end - i);
			first = 0;
		}
		i = end + 1;
	}
	if (key.failed) {
		wh_buf_free(&key);
		return wh_error("kvcounter: out of memory");
	}

	int64_t value = 0;
	wh_reply rep = wh_kv_increment(key.p, key.len, amount, &value);
	wh_buf_free(&key);
	int32_t rc;
	if (rep.status == WH_OK) {
		wh_buf body = WH_BUF_INIT;
		put_cstr(&body, "{\"counter\":");
		put_int(&body, value);
		put_cstr(&body, "}\n");
		rc = respond(200, NULL, &body);
		wh_buf_free(&body);
	} else if (rep.status == WH_ERROR) {
		uint64_t n;
		char *msg = wh_reply_dup(rep, &n);
		rc = msg ? fail(500, NULL, "", (const uint8_t *)msg, n, "") : wh_error("kvcounter: out of memory");
		free(msg);
	} else {
		rc = fail(500, NULL, "keyvalue increment: unexpected reply from the host", NULL, 0, "");
	}
	wh_reply_free(rep);
	return rc;
}

WH_EXPORT("handle_http") int32_t handle_http(void) {
	uint64_t n;
	uint8_t *in = wh_input_dup(&n);
	if (in == NULL) return wh_error("kvcounter: out of memory");
	request r;
	int32_t rc = decode(in, n, &r) ? serve(&r) : wh_error("kvcounter: malformed httpwire request");
	free(in);
	return rc;
}
