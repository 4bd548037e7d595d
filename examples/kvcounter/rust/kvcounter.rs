//! kvcounter.rs: the kvcounter HTTP handler in Rust, the twin of
//! ../c/kvcounter.c and ../go/main.go (same responses, byte for byte; see
//! ../README.md).
//!
//!     GET /a/b?amount=N  increments the key "counter:a:b" of the component's
//!                        bucket by N (default 1) through
//!                        wasmhive:keyvalue/atomics and answers 200
//!                        {"counter":VALUE}
//!
//! A non-integer amount answers 400, a store failure 500, a method other
//! than GET 405 (with Allow: GET); every body is JSON with a final newline.
//!
//! It uses no crates: the Extism kernel imports and the capability function
//! are declared below with #[link(wasm_import_module)], the request and
//! response are in the httpwire format (docs/http-wire-format.md), the
//! capability's reply block as docs/capabilities.md lays out. Build it with
//! ../build.sh (Debian's rustc 1.63: --target wasm32-wasi --crate-type
//! cdylib).

mod host {
    // The Extism kernel. The Rust names differ from the import names so
    // that none of them ("free", "alloc"...) can meet a libc symbol.
    #[link(wasm_import_module = "extism:host/env")]
    extern "C" {
        #[link_name = "input_length"]
        pub fn input_length() -> u64;
        #[link_name = "input_load_u8"]
        pub fn input_load_u8(offset: u64) -> u32;
        #[link_name = "input_load_u64"]
        pub fn input_load_u64(offset: u64) -> u64;
        #[link_name = "alloc"]
        pub fn kernel_alloc(n: u64) -> u64;
        #[link_name = "free"]
        pub fn kernel_free(h: u64);
        #[link_name = "length"]
        pub fn kernel_length(h: u64) -> u64;
        #[link_name = "load_u8"]
        pub fn load_u8(offset: u64) -> u32;
        #[link_name = "load_u64"]
        pub fn load_u64(offset: u64) -> u64;
        #[link_name = "store_u8"]
        pub fn store_u8(offset: u64, v: u32);
        #[link_name = "store_u64"]
        pub fn store_u64(offset: u64, v: u64);
        #[link_name = "output_set"]
        pub fn output_set(h: u64, n: u64);
        #[link_name = "error_set"]
        pub fn error_set(h: u64);
    }

    // The keyvalue capability's atomics interface.
    #[link(wasm_import_module = "wasmhive:keyvalue/atomics")]
    extern "C" {
        #[link_name = "increment"]
        pub fn kv_increment(key: u64, delta: u64) -> u64;
    }
}

// ---- kernel memory -------------------------------------------------------

/// A new kernel block holding b (0, "empty", for no bytes). Traps when the
/// host refuses the allocation.
fn block(b: &[u8]) -> u64 {
    if b.is_empty() {
        return 0;
    }
    unsafe {
        let h = host::kernel_alloc(b.len() as u64);
        if h == 0 {
            std::process::abort();
        }
        let mut chunks = b.chunks_exact(8);
        let mut off = h;
        for c in &mut chunks {
            let mut v = [0u8; 8];
            v.copy_from_slice(c);
            host::store_u64(off, u64::from_le_bytes(v));
            off += 8;
        }
        for &c in chunks.remainder() {
            host::store_u8(off, c as u32);
            off += 1;
        }
        h
    }
}

/// The bytes of the kernel block h.
fn read_block(h: u64) -> Vec<u8> {
    unsafe {
        let n = host::kernel_length(h) as usize;
        let mut b = Vec::with_capacity(n);
        let mut i = 0;
        while i + 8 <= n {
            b.extend_from_slice(&host::load_u64(h + i as u64).to_le_bytes());
            i += 8;
        }
        while i < n {
            b.push(host::load_u8(h + i as u64) as u8);
            i += 1;
        }
        b
    }
}

/// The call's input.
fn input() -> Vec<u8> {
    unsafe {
        let n = host::input_length() as usize;
        let mut b = Vec::with_capacity(n);
        let mut i = 0;
        while i + 8 <= n {
            b.extend_from_slice(&host::input_load_u64(i as u64).to_le_bytes());
            i += 8;
        }
        while i < n {
            b.push(host::input_load_u8(i as u64) as u8);
            i += 1;
        }
        b
    }
}

fn output(b: &[u8]) {
    unsafe { host::output_set(block(b), b.len() as u64) }
}

fn error(msg: &str) -> i32 {
    unsafe { host::error_set(block(msg.as_bytes())) }
    1
}

// ---- the capability --------------------------------------------------------

/// Reply statuses (docs/capabilities.md).
const STATUS_OK: u8 = 0;
const STATUS_ERROR: u8 = 2;

/// increment(key, delta): the new value, or the host's error message.
fn increment(key: &[u8], delta: i64) -> Result<i64, Vec<u8>> {
    let k = block(key);
    let d = block(&delta.to_le_bytes());
    let r = unsafe { host::kv_increment(k, d) };
    unsafe {
        if k != 0 {
            host::kernel_free(k);
        }
        host::kernel_free(d);
    }
    let reply = read_block(r);
    unsafe { host::kernel_free(r) };
    match reply.split_first() {
        Some((&STATUS_OK, v)) if v.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(v);
            Ok(i64::from_le_bytes(b))
        }
        Some((&STATUS_ERROR, msg)) => Err(msg.to_vec()),
        _ => Err(b"keyvalue increment: unexpected reply from the host".to_vec()),
    }
}

// ---- httpwire ----------------------------------------------------------------

struct Request<'a> {
    method: &'a [u8],
    path: &'a [u8],
    query: &'a [u8],
}

struct Decoder<'a> {
    b: &'a [u8],
}

impl<'a> Decoder<'a> {
    fn uvarint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let (&c, rest) = self.b.split_first()?;
            self.b = rest;
            if i == 9 && c > 1 {
                return None; // past 64 bits, as httpwire
            }
            v |= ((c & 0x7f) as u64) << (7 * i);
            if c < 0x80 {
                return Some(v);
            }
        }
        None
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.uvarint()?;
        if n > self.b.len() as u64 {
            return None;
        }
        let (s, rest) = self.b.split_at(n as usize);
        self.b = rest;
        Some(s)
    }
}

/// Checks the whole request and keeps what the handler needs.
fn decode(b: &[u8]) -> Option<Request> {
    let (&version, rest) = b.split_first()?;
    if version != 1 {
        return None;
    }
    let mut d = Decoder { b: rest };
    let method = d.string()?;
    let path = d.string()?;
    let query = d.string()?;
    let count = d.uvarint()?;
    if count > (d.b.len() / 2) as u64 {
        return None;
    }
    for _ in 0..count {
        d.string()?;
        d.string()?;
    }
    d.string()?; // the body
    if !d.b.is_empty() {
        return None;
    }
    Some(Request { method, path, query })
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_uvarint(out, s.len() as u64);
    out.extend_from_slice(s);
}

// ---- the query, JSON -------------------------------------------------------

fn unhex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes %XX and '+' (a space) as pdkhttp.Request.QueryValue does,
/// leaving malformed escapes as they are.
fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (unhex(s[i + 1]), unhex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The first value of key in the raw query, decoded; None when absent.
fn query_value(query: &[u8], key: &[u8]) -> Option<Vec<u8>> {
    if query.is_empty() {
        return None;
    }
    for pair in query.split(|&c| c == b'&') {
        let mut kv = pair.splitn(2, |&c| c == b'=');
        let k = kv.next().unwrap_or(b"");
        if unescape(k) == key {
            return Some(kv.next().map(unescape).unwrap_or_default());
        }
    }
    None
}

/// Appends s escaped for a JSON string: '"', '\\' and control characters;
/// other bytes (UTF-8) as they are.
fn json_escape(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c if c < 0x20 => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
            c => out.push(c),
        }
    }
}

/// Parses s as Go's strconv.ParseInt(s, 10, 64) does: an optional sign,
/// then one or more decimal digits, within the range of int64.
fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let limit: u64 = if neg { 1 << 63 } else { (1 << 63) - 1 };
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = (c - b'0') as u64;
        if v > (limit - d) / 10 {
            return None;
        }
        v = v * 10 + d;
    }
    Some(if neg { 0u64.wrapping_sub(v) as i64 } else { v as i64 })
}

// ---- the handler -------------------------------------------------------------

/// The encoded response: status, Content-Type application/json, Allow when
/// given, and body.
fn respond(status: u64, allow: Option<&[u8]>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    out.push(1);
    put_uvarint(&mut out, status);
    put_uvarint(&mut out, if allow.is_some() { 2 } else { 1 });
    put_string(&mut out, b"Content-Type");
    put_string(&mut out, b"application/json");
    if let Some(a) = allow {
        put_string(&mut out, b"Allow");
        put_string(&mut out, a);
    }
    put_string(&mut out, body);
    out
}

/// {"error":MSG} where MSG is the parts, JSON-escaped.
fn fail(status: u64, allow: Option<&[u8]>, parts: &[&[u8]]) -> Vec<u8> {
    let mut body = b"{\"error\":\"".to_vec();
    for p in parts {
        json_escape(&mut body, p);
    }
    body.extend_from_slice(b"\"}\n");
    respond(status, allow, &body)
}

fn serve(r: &Request) -> Vec<u8> {
    if r.method != b"GET" {
        return fail(405, Some(b"GET"), &[b"method ", r.method, b" is not allowed; use GET"]);
    }
    let amount = match query_value(r.query, b"amount") {
        None => 1,
        Some(v) => match parse_int(&v) {
            Some(n) => n,
            None => return fail(400, None, &[b"amount must be an integer, got \"", &v, b"\""]),
        },
    };
    // The key: "counter:" then the path's non-empty segments joined with ':'
    // ("/" gives "counter:", "/a//b/" gives "counter:a:b").
    let mut key = b"counter:".to_vec();
    for (i, seg) in r.path.split(|&c| c == b'/').filter(|s| !s.is_empty()).enumerate() {
        if i > 0 {
            key.push(b':');
        }
        key.extend_from_slice(seg);
    }
    match increment(&key, amount) {
        Ok(v) => respond(200, None, format!("{{\"counter\":{}}}\n", v).as_bytes()),
        Err(msg) => fail(500, None, &[&msg]),
    }
}

/// The handler-convention export: the httpwire request is the input, the
/// response the output.
#[no_mangle]
pub extern "C" fn handle_http() -> i32 {
    let input = input();
    match decode(&input) {
        Some(r) => {
            output(&serve(&r));
            0
        }
        None => error("kvcounter: malformed httpwire request"),
    }
}

extern "C" {
    // Made by the linker: runs the static constructors (libc's and std's).
    fn __wasm_call_ctors();
}

/// The reactor entry point (as wasi-libc's crt1-reactor for C): the host
/// calls it once after instantiation. Calling __wasm_call_ctors here, once,
/// also stops the linker wrapping every export in constructor and destructor
/// calls, as it does for a module without _initialize (a command).
#[no_mangle]
pub extern "C" fn _initialize() {
    unsafe { __wasm_call_ctors() }
}
