// handler.c is the core module of handler.wasm, a wasi:http/proxy
// component (it exports wasi:http/incoming-handler) written against the
// Canonical ABI by hand: no bindings generator, no libc. What it does
// depends on the request's path:
//
//   /trap        traps before setting a response
//   /noset       drops the response-outparam without setting it
//   /error       sets error-code internal-error("boom")
//   /denied      sets error-code HTTP-request-denied
//   /trap-mid    sets a 200 response, writes and flushes "partial", traps
//   /nofinish    sets a 200 response, writes "partial", drops the body
//                without outgoing-body.finish
//   /fetch       makes an outgoing GET (or the request's method, with its
//                body) to the URL in header x-url and answers with what
//                came back: its status, header x-fetched-content-type, its
//                body; when the outgoing handler fails, 502 with body
//                "error-code N"
//   /fetch-twice sends two GETs to the URL in x-url (http, no path),
//                then answers 200 "done"
//   anything else echoes: status from header x-status (default 200),
//                headers x-method (the method, "other:" for other),
//                x-path (path with query), x-echo (the request's x-echo
//                values, one header each), x-authority, x-scheme, and the
//                request body streamed back in chunks of at most 64 KiB.
#include <stdint.h>

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))
#define TYPES "wasi:http/types@0.2.4"
#define STREAMS "wasi:io/streams@0.2.4"
#define POLL "wasi:io/poll@0.2.4"
#define OUT "wasi:http/outgoing-handler@0.2.4"

typedef int32_t i32;
typedef int64_t i64;
typedef uint8_t u8;

IMPORT(TYPES, "[method]incoming-request.method") void req_method(i32 self, i32 ret);
IMPORT(TYPES, "[method]incoming-request.path-with-query") void req_path(i32 self, i32 ret);
IMPORT(TYPES, "[method]incoming-request.authority") void req_authority(i32 self, i32 ret);
IMPORT(TYPES, "[method]incoming-request.scheme") void req_scheme(i32 self, i32 ret);
IMPORT(TYPES, "[method]incoming-request.headers") i32 req_headers(i32 self);
IMPORT(TYPES, "[method]incoming-request.consume") void req_consume(i32 self, i32 ret);
IMPORT(TYPES, "[resource-drop]incoming-request") void req_drop(i32 h);
IMPORT(TYPES, "[method]incoming-body.stream") void ibody_stream(i32 self, i32 ret);
IMPORT(TYPES, "[static]incoming-body.finish") i32 ibody_finish(i32 self);
IMPORT(TYPES, "[resource-drop]incoming-body") void ibody_drop(i32 h);
IMPORT(TYPES, "[resource-drop]future-trailers") void trailers_drop(i32 h);
IMPORT(TYPES, "[constructor]fields") i32 fields_new(void);
IMPORT(TYPES, "[method]fields.get") void fields_get(i32 self, i32 name, i32 len, i32 ret);
IMPORT(TYPES, "[method]fields.append") void fields_append(i32 self, i32 name, i32 nlen, i32 val, i32 vlen, i32 ret);
IMPORT(TYPES, "[resource-drop]fields") void fields_drop(i32 h);
IMPORT(TYPES, "[constructor]outgoing-response") i32 resp_new(i32 headers);
IMPORT(TYPES, "[method]outgoing-response.set-status-code") i32 resp_set_status(i32 self, i32 status);
IMPORT(TYPES, "[method]outgoing-response.body") void resp_body(i32 self, i32 ret);
IMPORT(TYPES, "[resource-drop]outgoing-response") void resp_drop(i32 h);
IMPORT(TYPES, "[method]outgoing-body.write") void obody_write(i32 self, i32 ret);
IMPORT(TYPES, "[static]outgoing-body.finish") void obody_finish(i32 self, i32 tag, i32 trailers, i32 ret);
IMPORT(TYPES, "[resource-drop]outgoing-body") void obody_drop(i32 h);
IMPORT(TYPES, "[static]response-outparam.set")
void outparam_set(i32 param, i32 tag, i32 a, i32 b, i64 c, i32 d, i32 e, i32 f, i32 g);
IMPORT(TYPES, "[resource-drop]response-outparam") void outparam_drop(i32 h);
IMPORT(TYPES, "[constructor]outgoing-request") i32 oreq_new(i32 headers);
IMPORT(TYPES, "[method]outgoing-request.set-method") i32 oreq_set_method(i32 self, i32 disc, i32 ptr, i32 len);
IMPORT(TYPES, "[method]outgoing-request.set-scheme") i32 oreq_set_scheme(i32 self, i32 some, i32 disc, i32 ptr, i32 len);
IMPORT(TYPES, "[method]outgoing-request.set-authority") i32 oreq_set_authority(i32 self, i32 some, i32 ptr, i32 len);
IMPORT(TYPES, "[method]outgoing-request.set-path-with-query") i32 oreq_set_path(i32 self, i32 some, i32 ptr, i32 len);
IMPORT(TYPES, "[method]outgoing-request.body") void oreq_body(i32 self, i32 ret);
IMPORT(TYPES, "[resource-drop]outgoing-request") void oreq_drop(i32 h);
IMPORT(TYPES, "[method]future-incoming-response.subscribe") i32 future_subscribe(i32 self);
IMPORT(TYPES, "[method]future-incoming-response.get") void future_get(i32 self, i32 ret);
IMPORT(TYPES, "[resource-drop]future-incoming-response") void future_drop(i32 h);
IMPORT(TYPES, "[method]incoming-response.status") i32 iresp_status(i32 self);
IMPORT(TYPES, "[method]incoming-response.headers") i32 iresp_headers(i32 self);
IMPORT(TYPES, "[method]incoming-response.consume") void iresp_consume(i32 self, i32 ret);
IMPORT(TYPES, "[resource-drop]incoming-response") void iresp_drop(i32 h);
IMPORT(OUT, "handle") void out_handle(i32 req, i32 some, i32 opts, i32 ret);
IMPORT(STREAMS, "[method]input-stream.blocking-read") void in_read(i32 self, i64 len, i32 ret);
IMPORT(STREAMS, "[resource-drop]input-stream") void in_drop(i32 h);
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush") void out_write(i32 self, i32 ptr, i32 len, i32 ret);
IMPORT(STREAMS, "[resource-drop]output-stream") void out_drop(i32 h);
IMPORT("wasi:io/error@0.2.4", "[resource-drop]error") void error_drop(i32 h);
IMPORT(POLL, "[method]pollable.block") void poll_block(i32 self);
IMPORT(POLL, "[resource-drop]pollable") void poll_drop(i32 h);

static unsigned char heap[1 << 20];
static uint32_t top;
static u8 ret[64] __attribute__((aligned(8)));

// cabi_realloc is a bump allocator, reset at each request (and before
// each chunk of a streamed body); it starts again at the beginning when
// it runs out.
EXPORT("cabi_realloc") i32 cabi_realloc(i32 old, i32 oldlen, i32 align, i32 len) {
  top = (top + (uint32_t)align - 1) & ~((uint32_t)align - 1);
  if (top + (uint32_t)len > sizeof heap) {
    top = 0;
  }
  unsigned char *p = &heap[top];
  top += (uint32_t)len;
  const unsigned char *from = (const unsigned char *)(uintptr_t)old;
  for (i32 i = 0; old && i < oldlen && i < len; i++) {
    p[i] = from[i];
  }
  return (i32)(uintptr_t)p;
}

static i32 load32(const u8 *p) { return *(const i32 *)p; }
static i32 addr(const void *p) { return (i32)(uintptr_t)p; }

static uint32_t slen(const char *s) {
  uint32_t n = 0;
  while (s[n]) {
    n++;
  }
  return n;
}

static int eq(const u8 *a, uint32_t alen, const char *b) {
  uint32_t n = slen(b);
  if (alen != n) {
    return 0;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (a[i] != (u8)b[i]) {
      return 0;
    }
  }
  return 1;
}

static void append(i32 fields, const char *name, const u8 *val, uint32_t vlen) {
  fields_append(fields, addr(name), (i32)slen(name), addr(val), (i32)vlen, addr(ret));
}

static void append_s(i32 fields, const char *name, const char *val) { append(fields, name, (const u8 *)val, slen(val)); }

static char numbuf[16];

static const char *itoa(uint32_t v) {
  char *p = numbuf + sizeof numbuf - 1;
  *p = 0;
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return p;
}

static uint32_t atou(const u8 *s, uint32_t n) {
  uint32_t v = 0;
  for (uint32_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// get_first returns the first value of header name (len -1 when none).
static const u8 *get_first(i32 headers, const char *name, i32 *len) {
  fields_get(headers, addr(name), (i32)slen(name), addr(ret));
  i32 list = load32(ret), n = load32(ret + 4);
  if (n == 0) {
    *len = -1;
    return 0;
  }
  const u8 *e = (const u8 *)(uintptr_t)list;
  *len = load32(e + 4);
  return (const u8 *)(uintptr_t)load32(e);
}

static void set_ok(i32 outparam, i32 resp) { outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0); }

// set_error_code sets err(code) for a code without payload, or
// internal-error(some(msg)) when msg is not null.
static void set_error_code(i32 outparam, i32 code, const char *msg) {
  if (msg) {
    outparam_set(outparam, 1, 38, 1, (i64)(uint32_t)addr(msg), (i32)slen(msg), 0, 0, 0);
  } else {
    outparam_set(outparam, 1, code, 0, 0, 0, 0, 0, 0);
  }
}

// response makes a response of status with headers and returns its body
// (and the response, in *resp).
static i32 response(i32 headers, uint32_t status, i32 *resp) {
  *resp = resp_new(headers);
  resp_set_status(*resp, (i32)status);
  resp_body(*resp, addr(ret));
  if (ret[0] != 0) {
    __builtin_trap();
  }
  return load32(ret + 4);
}

static i32 body_stream(i32 body) {
  obody_write(body, addr(ret));
  if (ret[0] != 0) {
    __builtin_trap();
  }
  return load32(ret + 4);
}

// write_all writes p to out; 0 when the stream failed.
static int write_all(i32 out, const u8 *p, uint32_t n) {
  while (n > 0) {
    uint32_t k = n > 4096 ? 4096 : n;
    out_write(out, addr(p), (i32)k, addr(ret));
    if (ret[0] != 0) {
      return 0;
    }
    p += k;
    n -= k;
  }
  return 1;
}

static void finish(i32 body) {
  obody_finish(body, 0, 0, addr(ret));
  if (ret[0] != 0) {
    __builtin_trap();
  }
}

// copy streams in to out until in ends (or out fails).
static void copy(i32 in, i32 out) {
  uint32_t mark = top;
  for (;;) {
    top = mark;
    in_read(in, 65536, addr(ret));
    if (ret[0] != 0) {
      if (ret[4] == 0) {
        error_drop(load32(ret + 8)); // last-operation-failed: drop the error
      }
      return;
    }
    const u8 *data = (const u8 *)(uintptr_t)load32(ret + 4);
    uint32_t n = (uint32_t)load32(ret + 8);
    if (!write_all(out, data, n)) {
      if (ret[4] == 0) {
        error_drop(load32(ret + 8));
      }
      return;
    }
  }
}

static const char *method_names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

// parse_url splits scheme://authority/path.
static int parse_url(const u8 *u, uint32_t n, uint32_t *scheme_end, uint32_t *auth_end) {
  uint32_t i = 0;
  while (i + 2 < n && !(u[i] == ':' && u[i + 1] == '/' && u[i + 2] == '/')) {
    i++;
  }
  if (i + 2 >= n) {
    return 0;
  }
  *scheme_end = i;
  i += 3;
  while (i < n && u[i] != '/') {
    i++;
  }
  *auth_end = i;
  return 1;
}

static void fetch(i32 request, i32 headers, i32 outparam) {
  i32 ulen;
  const u8 *u = get_first(headers, "x-url", &ulen);
  uint32_t se, ae;
  if (ulen < 0 || !parse_url(u, (uint32_t)ulen, &se, &ae)) {
    set_error_code(outparam, 0, "no x-url");
    return;
  }
  // Copy the URL out of the allocator's way.
  static u8 url[2048];
  if (ulen > (i32)sizeof url) {
    set_error_code(outparam, 0, "x-url too long");
    return;
  }
  for (i32 i = 0; i < ulen; i++) {
    url[i] = u[i];
  }
  req_method(request, addr(ret));
  i32 mdisc = ret[0], mptr = load32(ret + 4), mlen = load32(ret + 8);

  i32 oh = fields_new();
  append_s(oh, "x-from", "handler");
  i32 oreq = oreq_new(oh);
  oreq_set_method(oreq, mdisc, mptr, mlen);
  i32 https = eq(url, se, "https");
  oreq_set_scheme(oreq, 1, https ? 1 : 0, 0, 0);
  oreq_set_authority(oreq, 1, addr(url + se + 3), (i32)(ae - se - 3));
  if (ae < (uint32_t)ulen) {
    oreq_set_path(oreq, 1, addr(url + ae), (i32)((uint32_t)ulen - ae));
  }
  // Forward the request body.
  oreq_body(oreq, addr(ret));
  i32 obody = load32(ret + 4);
  req_consume(request, addr(ret));
  i32 ibody = load32(ret + 4);
  ibody_stream(ibody, addr(ret));
  i32 in = load32(ret + 4);
  i32 out = body_stream(obody);
  copy(in, out);
  in_drop(in);
  out_drop(out);
  ibody_drop(ibody);

  out_handle(oreq, 0, 0, addr(ret));
  if (ret[0] != 0) {
    obody_drop(obody);
    uint32_t code = ret[8];
    i32 resp, body = response(fields_new(), 502, &resp);
    set_ok(outparam, resp);
    i32 s = body_stream(body);
    const char *msg = "error-code ";
    write_all(s, (const u8 *)msg, slen(msg));
    const char *num = itoa(code);
    write_all(s, (const u8 *)num, slen(num));
    out_drop(s);
    finish(body);
    return;
  }
  i32 future = load32(ret + 8);
  finish(obody); // the request goes now that its body is complete
  i32 p = future_subscribe(future);
  poll_block(p);
  poll_drop(p);
  future_get(future, addr(ret));
  if (ret[0] != 1 || ret[8] != 0) {
    __builtin_trap();
  }
  if (ret[16] != 0) {
    uint32_t code = ret[24];
    future_drop(future);
    i32 resp, body = response(fields_new(), 502, &resp);
    set_ok(outparam, resp);
    i32 s = body_stream(body);
    const char *msg = "error-code ";
    write_all(s, (const u8 *)msg, slen(msg));
    const char *num = itoa(code);
    write_all(s, (const u8 *)num, slen(num));
    out_drop(s);
    finish(body);
    return;
  }
  i32 iresp = load32(ret + 24);
  future_drop(future);
  uint32_t status = (uint32_t)iresp_status(iresp);
  i32 ih = iresp_headers(iresp);
  i32 h = fields_new();
  i32 ctlen;
  const u8 *ct = get_first(ih, "content-type", &ctlen);
  if (ctlen >= 0) {
    append(h, "x-fetched-content-type", ct, (uint32_t)ctlen);
  }
  fields_drop(ih);
  iresp_consume(iresp, addr(ret));
  i32 rbody = load32(ret + 4);
  ibody_stream(rbody, addr(ret));
  i32 rin = load32(ret + 4);
  i32 resp, body = response(h, status, &resp);
  set_ok(outparam, resp);
  i32 s = body_stream(body);
  copy(rin, s);
  in_drop(rin);
  out_drop(s);
  trailers_drop(ibody_finish(rbody));
  iresp_drop(iresp);
  finish(body);
}

// fetch_twice sends two bodiless GETs to the URL in x-url, one after the
// other, and answers 200 "done" (for the requests-per-call limit).
static void fetch_twice(i32 headers, i32 outparam) {
  i32 ulen;
  const u8 *u = get_first(headers, "x-url", &ulen);
  uint32_t se, ae;
  if (ulen < 0 || !parse_url(u, (uint32_t)ulen, &se, &ae)) {
    set_error_code(outparam, 0, "no x-url");
    return;
  }
  for (int i = 0; i < 2; i++) {
    i32 oreq = oreq_new(fields_new());
    oreq_set_scheme(oreq, 1, 0, 0, 0);
    oreq_set_authority(oreq, 1, addr(u + se + 3), (i32)(ae - se - 3));
    out_handle(oreq, 0, 0, addr(ret));
    if (ret[0] != 0) {
      set_error_code(outparam, 0, "handle failed");
      return;
    }
    i32 future = load32(ret + 8);
    i32 p = future_subscribe(future);
    poll_block(p);
    poll_drop(p);
    future_get(future, addr(ret));
    if (ret[0] == 1 && ret[8] == 0 && ret[16] == 0) {
      iresp_drop(load32(ret + 24));
    }
    future_drop(future);
  }
  i32 resp, body = response(fields_new(), 200, &resp);
  set_ok(outparam, resp);
  i32 s = body_stream(body);
  write_all(s, (const u8 *)"done", 4);
  out_drop(s);
  finish(body);
}

EXPORT("wasi:http/incoming-handler@0.2.4#handle") void handle(i32 request, i32 outparam) {
  top = 0;
  req_path(request, addr(ret));
  const u8 *path = (const u8 *)(uintptr_t)load32(ret + 4);
  uint32_t plen = ret[0] ? (uint32_t)load32(ret + 8) : 0;
  i32 headers = req_headers(request);

  if (eq(path, plen, "/trap")) {
    __builtin_trap();
  }
  if (eq(path, plen, "/noset")) {
    fields_drop(headers);
    req_drop(request);
    outparam_drop(outparam);
    return;
  }
  if (eq(path, plen, "/error")) {
    fields_drop(headers);
    req_drop(request);
    set_error_code(outparam, 0, "boom");
    return;
  }
  if (eq(path, plen, "/denied")) {
    fields_drop(headers);
    req_drop(request);
    set_error_code(outparam, 15, 0);
    return;
  }
  if (eq(path, plen, "/trap-mid") || eq(path, plen, "/nofinish")) {
    int trap = eq(path, plen, "/trap-mid");
    fields_drop(headers);
    req_drop(request);
    i32 resp, body = response(fields_new(), 200, &resp);
    set_ok(outparam, resp);
    i32 s = body_stream(body);
    write_all(s, (const u8 *)"partial", 7);
    if (trap) {
      __builtin_trap();
    }
    out_drop(s);
    obody_drop(body);
    return;
  }
  if (eq(path, plen, "/fetch-twice")) {
    fetch_twice(headers, outparam);
    fields_drop(headers);
    req_drop(request);
    return;
  }
  if (eq(path, plen, "/fetch")) {
    fetch(request, headers, outparam);
    fields_drop(headers);
    req_drop(request);
    return;
  }

  // Echo.
  i32 h = fields_new();
  req_method(request, addr(ret));
  if (ret[0] < 9) {
    append_s(h, "x-method", method_names[ret[0]]);
  } else {
    static u8 other[256];
    uint32_t n = (uint32_t)load32(ret + 8);
    const u8 *m = (const u8 *)(uintptr_t)load32(ret + 4);
    const char *prefix = "other:";
    uint32_t k = 0;
    for (; prefix[k]; k++) {
      other[k] = (u8)prefix[k];
    }
    for (uint32_t i = 0; i < n && k < sizeof other; i++) {
      other[k++] = m[i];
    }
    append(h, "x-method", other, k);
  }
  append(h, "x-path", path, plen);
  req_authority(request, addr(ret));
  if (ret[0]) {
    append(h, "x-authority", (const u8 *)(uintptr_t)load32(ret + 4), (uint32_t)load32(ret + 8));
  }
  req_scheme(request, addr(ret));
  if (ret[0]) {
    append_s(h, "x-scheme", ret[4] == 0 ? "HTTP" : ret[4] == 1 ? "HTTPS" : "other");
  }
  fields_get(headers, addr("x-echo"), 6, addr(ret));
  i32 list = load32(ret), n = load32(ret + 4);
  for (i32 i = 0; i < n; i++) {
    const u8 *e = (const u8 *)(uintptr_t)(list + 8 * i);
    append(h, "x-echo", (const u8 *)(uintptr_t)load32(e), (uint32_t)load32(e + 4));
  }
  i32 slen_;
  const u8 *st = get_first(headers, "x-status", &slen_);
  uint32_t status = slen_ > 0 ? atou(st, (uint32_t)slen_) : 200;
  fields_drop(headers);

  req_consume(request, addr(ret));
  i32 ibody = load32(ret + 4);
  ibody_stream(ibody, addr(ret));
  i32 in = load32(ret + 4);

  i32 resp, body = response(h, status, &resp);
  set_ok(outparam, resp);
  i32 out = body_stream(body);
  copy(in, out);
  in_drop(in);
  out_drop(out);
  trailers_drop(ibody_finish(ibody));
  req_drop(request);
  finish(body);
}
