// receiver.c: the pipeline's HTTP receiver, the half of a component link
// that takes HTTP requests and forwards them, as a typed call, to whatever
// component implements the platform's HTTP handler interface
// (docs/links.md).
//
// It is a handler-convention module: it exports handle_http, whose input is
// the httpwire request (docs/http-wire-format.md) and whose output is the
// response. It checks that the request is well-formed httpwire (else it
// answers 400 {"error":"malformed request"}), then calls its import
//
//	wasmhive:http/incoming-handler  handle(request) -> reply
//
// with the request's bytes as the one parameter block. The host carries the
// call to the linked component's handle_http, and its answer comes back as
// a reply block (docs/capabilities.md): on OK the payload is that
// component's httpwire response, which the receiver answers with one header
// added, `x-pipeline-receiver: VERSION`; on ERROR (the target failed,
// trapped, timed out...) or NONE it answers 502 {"error":"MESSAGE"}.
// Every response it makes itself is JSON (Content-Type application/json)
// with a final newline, and carries the x-pipeline-receiver header too.
//
// VERSION is fixed when the module is built: -DRECEIVER_VERSION=2 (a bare
// token, made a string here; default 1). ../build.sh builds receiver.wasm
// (version 1) and receiver-v2.wasm (version 2), to show a hot swap.
//
// It moves bytes with wasmhive's bulk copies (wasmhive:host/bulk) and uses
// no WASI import.
#include "wasmhive.h"

#ifndef RECEIVER_VERSION
#define RECEIVER_VERSION 1
#endif
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define VERSION STRINGIFY(RECEIVER_VERSION)

// The contract call: the platform's HTTP handler interface, satisfied by a
// component link.
WH_IMPORT("wasmhive:http/incoming-handler", "handle") wh_handle incoming_handle(wh_handle request);

#define HEADER "x-pipeline-receiver"

// ---- httpwire ----------------------------------------------------------

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

// skip_string steps over a uvarint-prefixed string; 0 when it runs past n.
static int skip_string(const uint8_t *b, uint64_t n, uint64_t *off) {
	uint64_t len = uvarint(b, n, off);
	if (len > n - *off) return 0;
	*off += len;
	return 1;
}

// skip_fields steps over a header count and its fields, then the body,
// and checks that nothing follows; *count is the count, *fields where the
// first field starts, *body where the body (its length) starts.
static int skip_fields(const uint8_t *b, uint64_t n, uint64_t *off, uint64_t *fields, uint64_t *count, uint64_t *body) {
	*count = uvarint(b, n, off);
	if (*count > (n - *off) / 2) return 0;
	uint64_t start = *off;
	for (uint64_t i = 0; i < *count; i++) {
		if (!skip_string(b, n, off) || !skip_string(b, n, off)) return 0;
	}
	*fields = start;
	*body = *off;
	if (!skip_string(b, n, off)) return 0;
	return *off == n;
}

// request_ok checks a whole request.
static int request_ok(const uint8_t *b, uint64_t n) {
	if (n == 0 || b[0] != 1) return 0;
	uint64_t off = 1, fields, count, body;
	for (int i = 0; i < 3; i++) { // method, path, query
		if (!skip_string(b, n, &off)) return 0;
	}
	return skip_fields(b, n, &off, &fields, &count, &body);
}

// response is a checked response: where its parts are in its bytes.
typedef struct {
	uint64_t status_end; // the version and status: [0, status_end)
	uint64_t count;      // header fields
	uint64_t fields;     // the fields: [fields, body)
	uint64_t body;       // the body, with its length: [body, n)
} response;

// response_parse checks a whole response (as the host does: version 1, a
// final status 200-999).
static int response_parse(const uint8_t *b, uint64_t n, response *r) {
	if (n == 0 || b[0] != 1) return 0;
	uint64_t off = 1;
	uint64_t status = uvarint(b, n, &off);
	if (status < 200 || status > 999) return 0;
	r->status_end = off;
	return skip_fields(b, n, &off, &r->fields, &r->count, &r->body);
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

// ---- output ------------------------------------------------------------

// output sets b's bytes as the call's output (one bulk copy) and frees b.
static int32_t output(wh_buf *b) {
	if (b->failed) {
		wh_buf_free(b);
		return wh_error("receiver: out of memory");
	}
	wh_bulk_output_write((uint64_t)(uintptr_t)b->p, b->len);
	wh_buf_free(b);
	return 0;
}

// json_escape appends the bytes of s escaped for a JSON string: '"', '\\'
// and control characters; other bytes (UTF-8) as they are.
static void json_escape(wh_buf *b, const uint8_t *s, uint64_t n) {
	static const char hex[] = "0123456789abcdef";
	for (uint64_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		switch (c) {
		case '"': wh_buf_bytes(b, "\\\"", 2); break;
		case '\\': wh_buf_bytes(b, "\\\\", 2); break;
		case '\n': wh_buf_bytes(b, "\\n", 2); break;
		case '\r': wh_buf_bytes(b, "\\r", 2); break;
		case '\t': wh_buf_bytes(b, "\\t", 2); break;
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

// fail answers status with Content-Type application/json, the receiver's
// header, and the body {"error":MSG}\n, MSG being msg JSON-escaped.
static int32_t fail(uint64_t status, const uint8_t *msg, uint64_t n) {
	wh_buf body = WH_BUF_INIT;
	wh_buf_bytes(&body, "{\"error\":\"", 10);
	json_escape(&body, msg, n);
	wh_buf_bytes(&body, "\"}\n", 3);

	wh_buf out = WH_BUF_INIT;
	wh_buf_bytes(&out, "\x01", 1);
	put_uvarint(&out, status);
	put_uvarint(&out, 2);
	put_cstring(&out, "Content-Type");
	put_cstring(&out, "application/json");
	put_cstring(&out, HEADER);
	put_cstring(&out, VERSION);
	put_string(&out, body.p, body.len);
	if (body.failed) out.failed = 1;
	wh_buf_free(&body);
	return output(&out);
}

static int32_t fail_str(uint64_t status, const char *msg) {
	return fail(status, (const uint8_t *)msg, strlen(msg));
}

// answer re-encodes the target's response r (its bytes b, n) with the
// receiver's header after the target's own.
static int32_t answer(const uint8_t *b, uint64_t n, const response *r) {
	wh_buf out = WH_BUF_INIT;
	wh_buf_bytes(&out, b, (size_t)r->status_end);
	put_uvarint(&out, r->count + 1);
	wh_buf_bytes(&out, b + r->fields, (size_t)(r->body - r->fields));
	put_cstring(&out, HEADER);
	put_cstring(&out, VERSION);
	wh_buf_bytes(&out, b + r->body, (size_t)(n - r->body));
	return output(&out);
}

// ---- the handler -------------------------------------------------------

// forward calls the linked handler with the request and answers its reply.
static int32_t forward(const uint8_t *req, uint64_t n) {
	wh_handle h = wh_alloc(n);
	if (h == 0) return wh_error("receiver: the host refused an allocation for the request");
	wh_bulk_write(h, (uint64_t)(uintptr_t)req, n);
	wh_handle rh = incoming_handle(h);
	wh_free(h);

	uint64_t len = rh ? wh_length(rh) : 0;
	uint8_t *reply = malloc(len ? len : 1);
	if (reply == NULL) {
		wh_block_free(rh);
		return wh_error("receiver: out of memory");
	}
	if (len > 0) wh_bulk_read(rh, (uint64_t)(uintptr_t)reply, len);
	wh_block_free(rh);

	int32_t rc;
	response r;
	if (len == 0 || reply[0] > WH_ERROR) {
		rc = fail_str(502, "unexpected reply from the host");
	} else if (reply[0] == WH_ERROR) {
		rc = len > 1 ? fail(502, reply + 1, len - 1) : fail_str(502, "the handler failed");
	} else if (reply[0] == WH_NONE) {
		rc = fail_str(502, "the handler answered no response");
	} else if (!response_parse(reply + 1, len - 1, &r)) {
		rc = fail_str(502, "the handler's response is malformed");
	} else {
		rc = answer(reply + 1, len - 1, &r);
	}
	free(reply);
	return rc;
}

WH_EXPORT("handle_http") int32_t handle_http(void) {
	uint64_t n = wh_input_length();
	uint8_t *in = malloc(n ? n : 1);
	if (in == NULL) return wh_error("receiver: out of memory");
	if (n > 0) n = wh_bulk_input_read((uint64_t)(uintptr_t)in, n);
	int32_t rc = request_ok(in, n) ? forward(in, n) : fail_str(400, "malformed request");
	free(in);
	return rc;
}
