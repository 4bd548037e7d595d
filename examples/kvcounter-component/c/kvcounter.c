// kvcounter.c: the kvcounter HTTP handler as a WebAssembly component, in C,
// the twin of ../js/kvcounter.js and of the ../../kvcounter modules (same
// answers byte for byte; see ../README.md):
//
//	GET /a/b?amount=N  adds N (default 1) to the counter "counter:a:b" of
//	                   the component's bucket through wasi:keyvalue/atomics
//	                   and answers 200 {"counter":VALUE}
//
// A non-integer amount answers 400, a store failure 500, a method other than
// GET 405 (with Allow: GET); every body is JSON with a final newline.
//
// It is the core module of a component of ../wit/world.wit: it exports
// wasi:http/incoming-handler's handle and imports wasi:keyvalue and the
// wasi:http types it answers with, written against the Canonical ABI by hand
// (no bindings generator, no libc). ../build.sh embeds the WIT and makes it
// a component with wasm-tools.
#include <stdint.h>

#define EXPORT(n) __attribute__((export_name(n)))
#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))

#define KV_STORE "wasi:keyvalue/store@0.2.0-draft"
#define KV_ATOMICS "wasi:keyvalue/atomics@0.2.0-draft"
#define HTTP "wasi:http/types@0.2.4"
#define STREAMS "wasi:io/streams@0.2.4"

// ---- imports -----------------------------------------------------------

IMPORT(KV_STORE, "open") void kv_open(const uint8_t *id, uint32_t n, void *ret);
IMPORT(KV_ATOMICS, "increment") void kv_increment(int32_t bucket, const uint8_t *key, uint32_t n, uint64_t delta, void *ret);

IMPORT(HTTP, "[method]incoming-request.method") void req_method(int32_t req, void *ret);
IMPORT(HTTP, "[method]incoming-request.path-with-query") void req_path_with_query(int32_t req, void *ret);
IMPORT(HTTP, "[resource-drop]incoming-request") void req_drop(int32_t req);
IMPORT(HTTP, "[static]fields.from-list") void fields_from_list(const void *entries, uint32_t n, void *ret);
IMPORT(HTTP, "[constructor]outgoing-response") int32_t resp_new(int32_t headers);
IMPORT(HTTP, "[method]outgoing-response.set-status-code") int32_t resp_set_status(int32_t resp, int32_t status);
IMPORT(HTTP, "[method]outgoing-response.body") void resp_body(int32_t resp, void *ret);
IMPORT(HTTP, "[method]outgoing-body.write") void body_write(int32_t body, void *ret);
IMPORT(HTTP, "[static]outgoing-body.finish") void body_finish(int32_t body, int32_t has_trailers, int32_t trailers, void *ret);
// result<own<outgoing-response>, error-code>, flattened: the case, then the
// join of the two payloads' flattenings (error-code's is 7 values).
IMPORT(HTTP, "[static]response-outparam.set") void outparam_set(int32_t param, int32_t is_err, int32_t p0, int32_t p1, int64_t p2, int32_t p3, int32_t p4, int32_t p5, int32_t p6);
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush") void stream_write(int32_t s, const uint8_t *p, uint32_t n, void *ret);
IMPORT(STREAMS, "[resource-drop]output-stream") void stream_drop(int32_t s);

// ---- memory ------------------------------------------------------------

// The heap is a bump allocator over the memory past the data, grown as
// needed and reset at the start of every request.
extern uint8_t __heap_base;
static uintptr_t top;

static void *alloc(uint32_t align, uint32_t n) {
	if (top == 0) top = (uintptr_t)&__heap_base;
	uintptr_t p = (top + align - 1) & ~(uintptr_t)(align - 1);
	uintptr_t end = p + n;
	uintptr_t have = __builtin_wasm_memory_size(0) << 16;
	if (end > have && __builtin_wasm_memory_grow(0, (end - have + 0xffff) >> 16) == (uintptr_t)-1) {
		__builtin_trap();
	}
	top = end;
	return (void *)p;
}

EXPORT("cabi_realloc") void *cabi_realloc(void *old, uint32_t oldlen, uint32_t align, uint32_t n) {
	uint8_t *p = alloc(align, n);
	for (uint32_t i = 0; old && i < oldlen && i < n; i++) p[i] = ((const uint8_t *)old)[i];
	return p;
}

// clang may call these for copies and zeroing.
void *memcpy(void *dst, const void *src, unsigned long n) {
	for (unsigned long i = 0; i < n; i++) ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
	return dst;
}

void *memset(void *dst, int c, unsigned long n) {
	for (unsigned long i = 0; i < n; i++) ((uint8_t *)dst)[i] = (uint8_t)c;
	return dst;
}

// buf is a growable byte buffer on the heap.
typedef struct {
	uint8_t *p;
	uint32_t len, cap;
} buf;

static void put(buf *b, const void *s, uint32_t n) {
	if (b->len + n > b->cap) {
		uint32_t cap = b->cap * 2 + n + 64;
		uint8_t *p = alloc(1, cap);
		memcpy(p, b->p, b->len);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static uint32_t cstrlen(const char *s) {
	uint32_t n = 0;
	while (s[n]) n++;
	return n;
}

static void puts_(buf *b, const char *s) { put(b, s, cstrlen(s)); }

// ---- JSON and numbers --------------------------------------------------

// json_escape appends the bytes of s escaped for a JSON string: '"', '\\'
// and control characters; other bytes (UTF-8) as they are.
static void json_escape(buf *b, const uint8_t *s, uint32_t n) {
	static const char hex[] = "0123456789abcdef";
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		switch (c) {
		case '"': puts_(b, "\\\""); break;
		case '\\': puts_(b, "\\\\"); break;
		case '\n': puts_(b, "\\n"); break;
		case '\r': puts_(b, "\\r"); break;
		case '\t': puts_(b, "\\t"); break;
		default:
			if (c < 0x20) {
				char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
				put(b, e, 6);
			} else {
				put(b, &c, 1);
			}
		}
	}
}

static void put_int(buf *b, int64_t v) {
	char d[20];
	int i = 20;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0) put(b, "-", 1);
	put(b, d + i, (uint32_t)(20 - i));
}

// parse_int parses s as Go's strconv.ParseInt(s, 10, 64) does: an optional
// sign, then one or more decimal digits, within the range of int64.
static int parse_int(const uint8_t *s, uint32_t n, int64_t *out) {
	uint32_t i = 0;
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

// ---- the request target ------------------------------------------------

static int unhex(uint8_t c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

// unescape decodes %XX (and '+' as a space when plus is set) of s[0:n] into
// dst (n bytes at most), leaving malformed escapes as they are, and returns
// the decoded length.
static uint32_t unescape(const uint8_t *s, uint32_t n, uint8_t *dst, int plus) {
	uint32_t o = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (plus && s[i] == '+') {
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

// query_value finds the first value of key in the raw query q[0:n]; it
// returns 1 with the decoded value in buf (n bytes at most) and its length
// in *vn, or 0 when key is absent.
static int query_value(const uint8_t *q, uint32_t n, const char *key, uint8_t *dst, uint32_t *vn) {
	uint32_t keylen = cstrlen(key);
	uint32_t i = 0;
	while (i < n) {
		uint32_t end = i;
		while (end < n && q[end] != '&') end++;
		uint32_t eq = i;
		while (eq < end && q[eq] != '=') eq++;
		uint32_t kn = unescape(q + i, eq - i, dst, 1);
		int same = kn == keylen;
		for (uint32_t j = 0; same && j < kn; j++) same = dst[j] == (uint8_t)key[j];
		if (same) {
			*vn = eq < end ? unescape(q + eq + 1, end - eq - 1, dst, 1) : 0;
			return 1;
		}
		i = end + 1;
	}
	return 0;
}

// put_utf8 appends s[0:n] with each maximal ill-formed subsequence replaced
// by U+FFFD, as the WHATWG UTF-8 decoder (JavaScript's TextDecoder) does: a
// component's strings are UTF-8, and a decoded path may not be.
static void put_utf8(buf *b, const uint8_t *s, uint32_t n) {
	static const uint8_t fffd[] = {0xef, 0xbf, 0xbd};
	uint32_t needed = 0, seen = 0, start = 0;
	uint8_t lower = 0x80, upper = 0xbf;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (needed == 0) {
			start = i;
			if (c < 0x80) {
				put(b, &c, 1);
			} else if (c >= 0xc2 && c <= 0xdf) {
				needed = 1;
			} else if (c >= 0xe0 && c <= 0xef) {
				if (c == 0xe0) lower = 0xa0;
				if (c == 0xed) upper = 0x9f;
				needed = 2;
			} else if (c >= 0xf0 && c <= 0xf4) {
				if (c == 0xf0) lower = 0x90;
				if (c == 0xf4) upper = 0x8f;
				needed = 3;
			} else {
				put(b, fffd, 3);
			}
			continue;
		}
		if (c < lower || c > upper) {
			needed = seen = 0;
			lower = 0x80;
			upper = 0xbf;
			put(b, fffd, 3);
			i--; // this byte starts over
			continue;
		}
		lower = 0x80;
		upper = 0xbf;
		if (++seen == needed) {
			put(b, s + start, needed + 1);
			needed = seen = 0;
		}
	}
	if (needed != 0) put(b, fffd, 3);
}

// ---- responses ---------------------------------------------------------

typedef struct {
	const uint8_t *name;
	uint32_t name_len;
	const uint8_t *value;
	uint32_t value_len;
} field;

static field header(const char *name, const uint8_t *value, uint32_t n) {
	field f = {(const uint8_t *)name, cstrlen(name), value, n};
	return f;
}

// respond answers status with Content-Type application/json (and Allow when
// allow is set) and body b. A failure of the host's calls traps: the host
// then answers its own error.
static void respond(int32_t out, int32_t status, const char *allow, const buf *b) {
	buf len = {0};
	put_int(&len, b->len);
	field h[3];
	uint32_t nh = 0;
	h[nh++] = header("Content-Type", (const uint8_t *)"application/json", 16);
	h[nh++] = header("Content-Length", len.p, len.len);
	if (allow) h[nh++] = header("Allow", (const uint8_t *)allow, cstrlen(allow));

	int32_t r[4] __attribute__((aligned(8)));
	fields_from_list(h, nh, r); // result<own<fields>, header-error>
	if ((uint8_t)r[0] != 0) __builtin_trap();
	int32_t resp = resp_new(r[1]);
	if (resp_set_status(resp, status) != 0) __builtin_trap();
	resp_body(resp, r); // result<own<outgoing-body>>
	if ((uint8_t)r[0] != 0) __builtin_trap();
	int32_t body = r[1];
	outparam_set(out, 0, resp, 0, 0, 0, 0, 0, 0);

	body_write(body, r); // result<own<output-stream>>
	if ((uint8_t)r[0] != 0) __builtin_trap();
	int32_t stream = r[1];
	for (uint32_t off = 0; off < b->len;) {
		uint32_t n = b->len - off > 4096 ? 4096 : b->len - off; // the call's limit
		stream_write(stream, b->p + off, n, r); // result<_, stream-error>
		if ((uint8_t)r[0] != 0) __builtin_trap();
		off += n;
	}
	stream_drop(stream); // before the body is finished
	int64_t fr[8];       // result<_, error-code>
	body_finish(body, 0, 0, fr);
	if (*(uint8_t *)fr != 0) __builtin_trap();
}

// fail answers status with {"error":MSG} where MSG is prefix then the bytes
// of detail (JSON-escaped) then suffix.
static void fail(int32_t out, int32_t status, const char *allow, const char *prefix, const uint8_t *detail, uint32_t n, const char *suffix) {
	buf body = {0};
	puts_(&body, "{\"error\":\"");
	json_escape(&body, (const uint8_t *)prefix, cstrlen(prefix));
	json_escape(&body, detail, n);
	json_escape(&body, (const uint8_t *)suffix, cstrlen(suffix));
	puts_(&body, "\"}\n");
	respond(out, status, allow, &body);
}

// fail_store answers 500 with the message of a wasi:keyvalue error at e:
// the variant's case (u8), then other's string (pointer, length).
static void fail_store(int32_t out, const char *op, const uint8_t *e) {
	const uint32_t *s = (const uint32_t *)(e + 4);
	switch (e[0]) {
	case 0: fail(out, 500, 0, "keyvalue ", (const uint8_t *)op, cstrlen(op), ": no such store"); break;
	case 1: fail(out, 500, 0, "keyvalue ", (const uint8_t *)op, cstrlen(op), ": access denied"); break;
	default: fail(out, 500, 0, "", (const uint8_t *)(uintptr_t)s[0], s[1], ""); break;
	}
}

// ---- the handler -------------------------------------------------------

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static int32_t bucket = -1; // the component's bucket, opened at the first request

static void serve(int32_t req, int32_t out) {
	uint32_t r[4] __attribute__((aligned(8)));
	req_method(req, r); // method: the case (u8), other's string at 4
	uint8_t m = (uint8_t)r[0];
	if (m != 0) {
		const uint8_t *name = m == 9 ? (const uint8_t *)(uintptr_t)r[1] : (const uint8_t *)methods[m];
		uint32_t n = m == 9 ? r[2] : cstrlen(methods[m]);
		fail(out, 405, "GET", "method ", name, n, " is not allowed; use GET");
		return;
	}

	// The request target as received: the path, percent-encoded, then the
	// raw query after the first '?'.
	req_path_with_query(req, r); // option<string>
	const uint8_t *target = (const uint8_t *)"/";
	uint32_t tn = 1;
	if ((uint8_t)r[0] == 1) {
		target = (const uint8_t *)(uintptr_t)r[1];
		tn = r[2];
	}
	uint32_t qm = 0;
	while (qm < tn && target[qm] != '?') qm++;
	uint8_t *path = alloc(1, qm);
	uint32_t pn = unescape(target, qm, path, 0);
	const uint8_t *query = target + (qm < tn ? qm + 1 : tn);
	uint32_t qn = tn - (uint32_t)(query - target);

	int64_t amount = 1;
	uint8_t *value = alloc(1, qn);
	uint32_t vn;
	if (query_value(query, qn, "amount", value, &vn) && !parse_int(value, vn, &amount)) {
		fail(out, 400, 0, "amount must be an integer, got \"", value, vn, "\"");
		return;
	}

	// The key: "counter:" then the path's non-empty segments joined with ':'
	// ("/" gives "counter:", "/a//b/" gives "counter:a:b").
	buf key = {0};
	puts_(&key, "counter:");
	int first = 1;
	for (uint32_t i = 0; i < pn;) {
		uint32_t end = i;
		while (end < pn && path[end] != '/') end++;
		if (end > i) {
			if (!first) put(&key, ":", 1);
			put_utf8(&key, path + i, end - i);
			first = 0;
		}
		i = end + 1;
	}

	if (bucket < 0) {
		uint32_t o[4];
		kv_open((const uint8_t *)"", 0, o); // result<own<bucket>, error>
		if ((uint8_t)o[0] != 0) {
			fail_store(out, "open", (const uint8_t *)&o[1]);
			return;
		}
		bucket = (int32_t)o[1];
	}
	// The draft's increment is on u64: the delta and the counter travel as
	// the bits of an int64 (two's complement), so they may be negative.
	uint64_t inc[3];
	kv_increment(bucket, key.p, key.len, (uint64_t)amount, inc); // result<u64, error>
	if ((uint8_t)inc[0] != 0) {
		fail_store(out, "increment", (const uint8_t *)&inc[1]);
		return;
	}
	buf body = {0};
	puts_(&body, "{\"counter\":");
	put_int(&body, (int64_t)inc[1]);
	puts_(&body, "}\n");
	respond(out, 200, 0, &body);
}

EXPORT("wasi:http/incoming-handler@0.2.4#handle") void handle(int32_t req, int32_t out) {
	top = 0; // a new request: the heap starts over
	serve(req, out);
	req_drop(req);
}
