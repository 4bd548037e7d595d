// kvcounter.js: the kvcounter HTTP handler as a WebAssembly component, in
// JavaScript (componentize-js). The twin of ../../kvcounter (same answers
// byte for byte; see ../README.md):
//
//	GET /a/b?amount=N  adds N (default 1) to the counter "counter:a:b" of
//	                   the component's bucket through wasi:keyvalue/atomics
//	                   and answers 200 {"counter":VALUE}
//
// A non-integer amount answers 400, a store failure 500, a method other than
// GET 405 (with Allow: GET); every body is JSON with a final newline.
//
// It exports wasi:http/incoming-handler (the `incomingHandler` object) and
// imports wasi:keyvalue; nothing in it is specific to a host. Build it with
// ../build.sh.
import { open } from 'wasi:keyvalue/store@0.2.0-draft';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft';
import {
  Fields,
  OutgoingBody,
  OutgoingResponse,
  ResponseOutparam,
} from 'wasi:http/types@0.2.4';

const utf8 = new TextEncoder();
const fromUTF8 = new TextDecoder(); // malformed bytes become U+FFFD

// ---- bytes -------------------------------------------------------------

// Bytes is a growable byte buffer.
class Bytes {
  constructor() {
    this.b = new Uint8Array(64);
    this.n = 0;
  }
  push(c) {
    if (this.n === this.b.length) {
      const g = new Uint8Array(this.b.length * 2);
      g.set(this.b);
      this.b = g;
    }
    this.b[this.n++] = c;
  }
  bytes(a) {
    for (let i = 0; i < a.length; i++) this.push(a[i]);
  }
  ascii(s) {
    for (let i = 0; i < s.length; i++) this.push(s.charCodeAt(i));
  }
  view() {
    return this.b.subarray(0, this.n);
  }
}

function unhex(c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

// unescape decodes %XX (and '+' as a space when plus is set) in s, leaving
// malformed escapes as they are, as the module's query decoding does.
function unescape(s, plus) {
  const out = new Bytes();
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (plus && c === 0x2b) {
      out.push(0x20);
    } else if (c === 0x25 && i + 2 < s.length && unhex(s[i + 1]) >= 0 && unhex(s[i + 2]) >= 0) {
      out.push((unhex(s[i + 1]) << 4) | unhex(s[i + 2]));
      i += 2;
    } else {
      out.push(c);
    }
  }
  return out.view();
}

function equal(a, s) {
  if (a.length !== s.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== s.charCodeAt(i)) return false;
  return true;
}

// queryValue is the first value of name in the raw query q (bytes),
// decoded as a form value, or null when name is absent.
function queryValue(q, name) {
  let i = 0;
  while (i < q.length) {
    let end = i;
    while (end < q.length && q[end] !== 0x26) end++; // '&'
    let eq = i;
    while (eq < end && q[eq] !== 0x3d) eq++; // '='
    if (equal(unescape(q.subarray(i, eq), true), name)) {
      return eq < end ? unescape(q.subarray(eq + 1, end), true) : new Uint8Array(0);
    }
    i = end + 1;
  }
  return null;
}

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;

// parseInt64 parses s (bytes) as Go's strconv.ParseInt(s, 10, 64) does:
// an optional sign, then one or more decimal digits, within the range of
// int64. It returns a BigInt, or null.
function parseInt64(s) {
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s[0] === 0x2b || s[0] === 0x2d)) {
    neg = s[0] === 0x2d;
    i = 1;
  }
  if (i === s.length) return null;
  let v = 0n;
  for (; i < s.length; i++) {
    if (s[i] < 0x30 || s[i] > 0x39) return null;
    v = v * 10n + BigInt(s[i] - 0x30);
    if (v > MAX + 1n) return null; // stop early on long inputs
  }
  if (neg) v = -v;
  return v < MIN || v > MAX ? null : v;
}

// jsonEscape appends the bytes of s escaped for a JSON string: '"', '\\'
// and control characters; other bytes (UTF-8) as they are.
function jsonEscape(out, s) {
  const hex = '0123456789abcdef';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === 0x22) out.ascii('\\"');
    else if (c === 0x5c) out.ascii('\\\\');
    else if (c === 0x0a) out.ascii('\\n');
    else if (c === 0x0d) out.ascii('\\r');
    else if (c === 0x09) out.ascii('\\t');
    else if (c < 0x20) out.ascii('\\u00' + hex[c >> 4] + hex[c & 15]);
    else out.push(c);
  }
}

// ---- responses ---------------------------------------------------------

// respond answers status with Content-Type application/json (and Allow when
// allow is set) and body, a Uint8Array.
function respond(out, status, allow, body) {
  const entries = [
    ['Content-Type', utf8.encode('application/json')],
    ['Content-Length', utf8.encode(String(body.length))],
  ];
  if (allow) entries.push(['Allow', utf8.encode(allow)]);
  const resp = new OutgoingResponse(Fields.fromList(entries));
  resp.setStatusCode(status);
  const ob = resp.body();
  ResponseOutparam.set(out, { tag: 'ok', val: resp });
  const stream = ob.write();
  // blocking-write-and-flush takes at most 4096 bytes a call.
  for (let off = 0; off < body.length; off += 4096) {
    stream.blockingWriteAndFlush(body.subarray(off, off + 4096));
  }
  stream[Symbol.dispose](); // the stream goes before the body is finished
  OutgoingBody.finish(ob, undefined);
}

// fail answers status with {"error":MESSAGE}, MESSAGE the concatenation of
// parts (strings, as UTF-8, or byte arrays), JSON-escaped.
function fail(out, status, allow, ...parts) {
  const body = new Bytes();
  body.ascii('{"error":"');
  for (const p of parts) jsonEscape(body, typeof p === 'string' ? utf8.encode(p) : p);
  body.ascii('"}\n');
  respond(out, status, allow, body.view());
}

// storeMessage is the message of a wasi:keyvalue error: the host's for
// error::other.
function storeMessage(op, e) {
  const p = e && e.payload;
  if (p && p.tag === 'other') return p.val;
  if (p && p.tag === 'no-such-store') return `keyvalue ${op}: no such store`;
  if (p && p.tag === 'access-denied') return `keyvalue ${op}: access denied`;
  return `keyvalue ${op}: ${e}`;
}

// ---- the handler -------------------------------------------------------

const METHODS = {
  get: 'GET', head: 'HEAD', post: 'POST', put: 'PUT', delete: 'DELETE',
  connect: 'CONNECT', options: 'OPTIONS', trace: 'TRACE', patch: 'PATCH',
};

let bucket; // the component's bucket, opened at the first request

function serve(request, out) {
  const m = request.method();
  if (m.tag !== 'get') {
    const name = m.tag === 'other' ? m.val : METHODS[m.tag];
    fail(out, 405, 'GET', `method ${name} is not allowed; use GET`);
    return;
  }

  // The request target as received: the path, percent-encoded, then the
  // raw query after the first '?'.
  const target = utf8.encode(request.pathWithQuery() ?? '/');
  let qm = target.indexOf(0x3f);
  if (qm < 0) qm = target.length;
  const path = unescape(target.subarray(0, qm), false);
  const query = target.subarray(Math.min(qm + 1, target.length));

  let amount = 1n;
  const raw = queryValue(query, 'amount');
  if (raw !== null) {
    amount = parseInt64(raw);
    if (amount === null) {
      fail(out, 400, null, 'amount must be an integer, got "', raw, '"');
      return;
    }
  }

  // The key: "counter:" then the path's non-empty segments joined with ':'
  // ("/" gives "counter:", "/a//b/" gives "counter:a:b").
  const key = new Bytes();
  key.ascii('counter:');
  let first = true;
  for (let i = 0; i < path.length; ) {
    let end = i;
    while (end < path.length && path[end] !== 0x2f) end++;
    if (end > i) {
      if (!first) key.push(0x3a);
      key.bytes(path.subarray(i, end));
      first = false;
    }
    i = end + 1;
  }

  let value;
  try {
    bucket ??= open('');
  } catch (e) {
    fail(out, 500, null, storeMessage('open', e));
    return;
  }
  try {
    // The draft's increment is on u64: the delta and the counter travel as
    // the bits of an int64 (two's complement), so amounts and counters may
    // be negative.
    value = BigInt.asIntN(64, increment(bucket, fromUTF8.decode(key.view()), BigInt.asUintN(64, amount)));
  } catch (e) {
    fail(out, 500, null, storeMessage('increment', e));
    return;
  }
  respond(out, 200, null, utf8.encode(`{"counter":${value}}\n`));
}

export const incomingHandler = {
  handle(request, out) {
    serve(request, out);
  },
};
