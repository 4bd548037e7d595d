// Package httpwire is the binary encoding of the HTTP requests and responses
// that wasmhive's HTTP trigger exchanges with handler modules (reactor and
// library modules exporting handle_http) through the Extism-compatible
// library ABI: the host encodes a Request as the call's input, the guest
// answers with an encoded Response as its output.
//
// The package is pure Go with no imports beyond the standard library's
// errors, strconv and unsafe (for Decode's zero-copy strings), so that guests (GOOS=wasip1) and hosts share it.
// docs/http-wire-format.md specifies the format for other languages.
//
// Both messages are a version byte followed by fields; strings and byte
// strings are an unsigned LEB128 length (encoding/binary's uvarint) followed
// by that many bytes:
//
//	Request  = 0x01 method path query count (name value){count} body
//	Response = 0x01 status count (name value){count} body
//
// status and count are uvarints. Header names are canonical
// ("Content-Type"); a name appears once per value. Nothing may follow body.
package httpwire

import (
	"errors"
	"strconv"
	"unsafe"
)

// Version is the format version, the first byte of every message.
const Version = 1

// Field is one header field. A header with several values appears once per
// value, in order.
type Field struct {
	Name, Value string
}

// Request is an HTTP request as a handler sees it.
type Request struct {
	Method string  // "GET", "POST", ...
	Path   string  // the URL path, percent-decoded, e.g. "/a b"
	Query  string  // the raw query without '?', e.g. "x=1&y=%20"
	Header []Field // request headers, Host first
	Body   []byte  // the whole request body
}

// Response is a handler's answer.
type Response struct {
	Status int // HTTP status code, 100-999
	Header []Field
	Body   []byte
}

// ErrFormat is matched (errors.Is) by every decoding error.
var ErrFormat = errors.New("httpwire: malformed message")

// FormatError reports a message that does not follow the format.
type FormatError struct {
	Field  string // the field being read, e.g. "header name"
	Offset int    // byte offset in the message
	Reason string
}

func (e *FormatError) Error() string {
	return "httpwire: malformed message: " + e.Field + " at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Is makes errors.Is(err, ErrFormat) true.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// Size returns the encoded size of r.
func (r *Request) Size() int {
	n := 1 + strSize(len(r.Method)) + strSize(len(r.Path)) + strSize(len(r.Query)) + uvarintSize(uint64(len(r.Header)))
	for _, h := range r.Header {
		n += strSize(len(h.Name)) + strSize(len(h.Value))
	}
	return n + strSize(len(r.Body))
}

// AppendBinary appends the encoding of r to dst (encoding.BinaryAppender).
func (r *Request) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, Version)
	dst = appendString(dst, r.Method)
	dst = appendString(dst, r.Path)
	dst = appendString(dst, r.Query)
	dst = appendHeaders(dst, r.Header)
	return appendBytes(dst, r.Body), nil
}

// MarshalBinary encodes r (encoding.BinaryMarshaler).
func (r *Request) MarshalBinary() ([]byte, error) { return r.AppendBinary(make([]byte, 0, r.Size())) }

// UnmarshalBinary decodes b into r (encoding.BinaryUnmarshaler). r.Body
// aliases b; the strings are copies.
func (r *Request) UnmarshalBinary(b []byte) error { return r.decode(b, false) }

// Decode decodes b into r without copying: the strings and the body alias b,
// which must not be modified while r (or a string taken from it) is in use.
// It is UnmarshalBinary without an allocation per string, for buffers that
// are never reused.
func (r *Request) Decode(b []byte) error {
	if r.decodeShort(b) {
		return nil
	}
	return r.decode(b, true)
}

func (r *Request) decode(b []byte, alias bool) error {
	d := decoder{b: b, alias: alias}
	d.version()
	r.Method = d.string("method")
	r.Path = d.string("path")
	r.Query = d.string("query")
	r.Header = d.headers(r.Header[:0])
	r.Body = d.bytes("body")
	return d.finish()
}

// decodeShort is Decode for the common message whose strings, but for the
// body, are shorter than 128 bytes and whose header count is below 128 (each
// a one-byte uvarint), in one function without calls: calls are dear in
// WebAssembly guests, where this runs for every request. It reports false,
// leaving r as it was, for anything else (malformed messages included): the
// general decoder then decodes the message or says what is wrong with it.
func (r *Request) decodeShort(b []byte) bool {
	if len(b) < 6 || b[0] != Version {
		return false
	}
	// The method, path and query, unrolled (a loop costs an interruption
	// check per iteration in some hosts). Every string is followed by at
	// least one byte (the body's length comes last): each length check
	// keeps off < len(b) for the next read.
	off := 1
	n := int(b[off])
	if n >= 0x80 || n >= len(b)-off-1 {
		return false
	}
	end := off + 1 + n
	method := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
	off = end
	n = int(b[off])
	if n >= 0x80 || n >= len(b)-off-1 {
		return false
	}
	end = off + 1 + n
	path := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
	off = end
	n = int(b[off])
	if n >= 0x80 || n >= len(b)-off-1 {
		return false
	}
	end = off + 1 + n
	query := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
	off = end
	count := int(b[off])
	off++
	if count >= 0x80 || count > (len(b)-off)/2 {
		return false
	}
	h := r.Header[:0]
	if cap(h) < count {
		h = make([]Field, 0, max(count, 8))
	}
	h = h[:count]
	// Two fields per iteration, stored together: a loop iteration and the
	// write-barrier test of a pointer store each cost a Go guest a jump.
	// off < len(b) at the top of each step: the count check, or the
	// previous value's.
	i := 0
	for ; i+1 < count; i += 2 {
		n = int(b[off])
		if n >= 0x80 || n >= len(b)-off-1 {
			return false
		}
		end = off + 1 + n
		name0 := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
		off = end
		n = int(b[off])
		if n >= 0x80 || n >= len(b)-off-1 {
			return false
		}
		end = off + 1 + n
		value0 := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
		off = end
		n = int(b[off])
		if n >= 0x80 || n >= len(b)-off-1 {
			return false
		}
		end = off + 1 + n
		name1 := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
		off = end
		n = int(b[off])
		if n >= 0x80 || n >= len(b)-off-1 {
			return false
		}
		end = off + 1 + n
		value1 := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
		off = end
		h[i], h[i+1] = Field{Name: name0, Value: value0}, Field{Name: name1, Value: value1}
	}
	if i < count {
		n = int(b[off])
		if n >= 0x80 || n >= len(b)-off-1 {
			return false
		}
		end = off + 1 + n
		name := unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)
		off = end
		n = int(b[off])
		if n >= 0x80 || n >= len(b)-off-1 {
			return false
		}
		end = off + 1 + n
		h[i] = Field{Name: name, Value: unsafe.String(unsafe.SliceData(b[off+1:end:end]), n)}
		off = end
	}
	if off >= len(b) {
		return false
	}
	// The body: its length is the rest of the message.
	n, w := int(b[off]), 1
	if n >= 0x80 { // a body of 128 bytes or more (a call: off the straight path)
		n, w = bodyLength(b, off)
	}
	if off+w+n != len(b) {
		return false
	}
	r.Method, r.Path, r.Query, r.Header = method, path, query, h
	r.Body = b[off+w : len(b) : len(b)]
	return true
}

// bodyLength returns the length of the body whose uvarint length is at
// b[off:] and the uvarint's size, or a length that does not match the
// message when the uvarint is not valid.
//
//go:noinline
func bodyLength(b []byte, off int) (n, size int) {
	v, w := uvarintAt(b, off)
	if w <= 0 || v != uint64(len(b)-off-w) {
		return -1, 1
	}
	return int(v), w
}

// uvarintAt reads the uvarint at b[off:], returning it and its length in
// bytes, or a length of 0 when it is not a valid uvarint of at most 64 bits.
func uvarintAt(b []byte, off int) (uint64, int) {
	var v uint64
	for i, shift := off, uint(0); i < len(b) && i-off < 10; i, shift = i+1, shift+7 {
		c := b[i]
		if shift == 63 && c > 1 {
			return 0, 0
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, i + 1 - off
		}
	}
	return 0, 0
}

// Size returns the encoded size of r.
func (r *Response) Size() int {
	n := 1 + uvarintSize(uint64(r.Status)) + uvarintSize(uint64(len(r.Header)))
	for _, h := range r.Header {
		n += strSize(len(h.Name)) + strSize(len(h.Value))
	}
	return n + strSize(len(r.Body))
}

// AppendBinary appends the encoding of r to dst (encoding.BinaryAppender).
// It fails when Status is outside 100-999.
func (r *Response) AppendBinary(dst []byte) ([]byte, error) {
	// The common case (a valid status, fewer than 16384 headers, a body
	// below 16 KiB) is tested with one branch and written in place with as
	// few taken branches and calls as can be: in a Go guest every jump and
	// call may cost an interruption check of the host (see decodeShort).
	// The fast paths are the "then" branches, which the compiler lays out
	// straight after the test.
	if (uint(r.Status-100)/900 | uint(len(r.Header)|len(r.Body))>>14) == 0 {
		off := len(dst)
		if cap(dst)-off < 3+2*maxUvarint+len(r.Body) {
			dst = grow(dst, 3+2*maxUvarint+len(r.Body))
		}
		b := dst[:cap(dst)]
		b[off] = Version
		off = putShort(b, off+1, r.Status)
		off = putShort(b, off, len(r.Header))
		for i := range r.Header {
			f := &r.Header[i]
			if uint(len(f.Name)|len(f.Value))>>14 == 0 && cap(b)-off >= 4+len(f.Name)+len(f.Value)+3+len(r.Body) {
				off = putShort(b, off, len(f.Name))
				off += copy(b[off:], f.Name)
				off = putShort(b, off, len(f.Value))
				off += copy(b[off:], f.Value)
			} else {
				return r.appendSlow(b[:off], i), nil
			}
		}
		off = putShort(b, off, len(r.Body))
		off += copy(b[off:], r.Body)
		return b[:off], nil
	}
	if r.Status < 100 || r.Status > 999 {
		return dst, errors.New("httpwire: status " + strconv.Itoa(r.Status) + " is not a valid HTTP status (100-999)")
	}
	dst = appendUvarint(appendUvarint(append(dst, Version), uint64(r.Status)), uint64(len(r.Header)))
	return r.appendSlow(dst, 0), nil
}

// appendSlow appends the headers from i on and the body, for AppendBinary.
//
//go:noinline
func (r *Response) appendSlow(dst []byte, i int) []byte {
	for _, h := range r.Header[i:] {
		dst = appendString(dst, h.Name)
		dst = appendString(dst, h.Value)
	}
	return appendBytes(dst, r.Body)
}

// grow returns dst with room for n more bytes.
//
//go:noinline
func grow(dst []byte, n int) []byte {
	return append(dst[:cap(dst)], make([]byte, len(dst)+n-cap(dst))...)[:len(dst)]
}

// maxUvarint is the longest uvarint of a 64-bit value.
const maxUvarint = 10

// putShort writes v < 1<<14 as a uvarint at b[off:], which has room for two
// bytes, and returns the offset after it, without a branch.
func putShort(b []byte, off, v int) int {
	big := int(uint64(v>>7|-(v>>7)) >> 63) // 1 when v >= 128, else 0
	b[off] = byte(v) | byte(big<<7)
	b[off+1] = byte(v >> 7)
	return off + 1 + big
}

// MarshalBinary encodes r (encoding.BinaryMarshaler).
func (r *Response) MarshalBinary() ([]byte, error) { return r.AppendBinary(make([]byte, 0, r.Size())) }

// UnmarshalBinary decodes b into r (encoding.BinaryUnmarshaler). r.Body
// aliases b; the strings are copies.
func (r *Response) UnmarshalBinary(b []byte) error { return r.decode(b, false) }

// Decode decodes b into r without copying: the strings and the body alias b,
// which must not be modified while r (or a string taken from it) is in use.
func (r *Response) Decode(b []byte) error { return r.decode(b, true) }

func (r *Response) decode(b []byte, alias bool) error {
	d := decoder{b: b, alias: alias}
	d.version()
	off := d.off
	status := d.uvarint("status")
	if d.err == nil && (status < 100 || status > 999) {
		d.fail("status", off, "status "+strconv.FormatUint(status, 10)+" is not a valid HTTP status (100-999)")
	}
	r.Status = int(status)
	r.Header = d.headers(r.Header[:0])
	r.Body = d.bytes("body")
	return d.finish()
}

func appendHeaders(dst []byte, hs []Field) []byte {
	dst = appendUvarint(dst, uint64(len(hs)))
	for _, h := range hs {
		dst = appendString(dst, h.Name)
		dst = appendString(dst, h.Value)
	}
	return dst
}

// appendString and appendBytes inline their common case, a length below
// 128, for the same reason as decodeShort.
func appendString(dst []byte, s string) []byte {
	if len(s) < 0x80 {
		return append(append(dst, byte(len(s))), s...)
	}
	return append(appendUvarint(dst, uint64(len(s))), s...)
}

func appendBytes(dst []byte, b []byte) []byte {
	if len(b) < 0x80 {
		return append(append(dst, byte(len(b))), b...)
	}
	return append(appendUvarint(dst, uint64(len(b))), b...)
}

func appendUvarint(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func uvarintSize(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func strSize(n int) int { return uvarintSize(uint64(n)) + n }

// decoder reads fields, remembering the first error.
type decoder struct {
	b     []byte
	off   int
	err   error
	alias bool // strings alias b
}

func (d *decoder) fail(field string, off int, reason string) {
	if d.err == nil {
		d.err = &FormatError{Field: field, Offset: off, Reason: reason}
	}
}

func (d *decoder) version() {
	if len(d.b) == 0 {
		d.fail("version", 0, "empty message")
		return
	}
	if d.b[0] != Version {
		d.fail("version", 0, "unsupported version "+strconv.Itoa(int(d.b[0]))+" (want "+strconv.Itoa(Version)+")")
		return
	}
	d.off = 1
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	for i, shift := d.off, uint(0); i < len(d.b); i, shift = i+1, shift+7 {
		c := d.b[i]
		if shift == 63 && c > 1 {
			break
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			d.off = i + 1
			return v
		}
		if i-d.off == 9 {
			break
		}
	}
	if d.off >= len(d.b) {
		d.fail(field, d.off, "unexpected end of message")
	} else {
		d.fail(field, d.off, "bad length or number")
	}
	return 0
}

// bytes reads a length-prefixed byte string. The fast path (a length below
// 128 that fits) is small enough to inline: most fields of a request are
// short, and function calls are dear in WebAssembly guests.
func (d *decoder) bytes(field string) []byte {
	if off := d.off; d.err == nil && off < len(d.b) {
		if n := int(d.b[off]); n < 0x80 && n < len(d.b)-off {
			d.off = off + 1 + n
			return d.b[off+1 : d.off : d.off]
		}
	}
	return d.bytesSlow(field)
}

func (d *decoder) bytesSlow(field string) []byte {
	off := d.off
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(field, off, "length "+strconv.FormatUint(n, 10)+" runs past the end of the message")
		return nil
	}
	b := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return b
}

func (d *decoder) string(field string) string {
	b := d.bytes(field)
	if !d.alias {
		return string(b)
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func (d *decoder) headers(dst []Field) []Field {
	off := d.off
	n := d.uvarint("header count")
	if d.err != nil {
		return dst
	}
	// Every header takes at least two bytes: refuse counts the message
	// cannot hold before allocating for them.
	if n > uint64(len(d.b)-d.off)/2 {
		d.fail("header count", off, "count "+strconv.FormatUint(n, 10)+" exceeds what the message can hold")
		return dst
	}
	if dst == nil && n > 0 {
		dst = make([]Field, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := d.string("header name")
		value := d.string("header value")
		dst = append(dst, Field{Name: name, Value: value})
	}
	return dst
}

func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("end", d.off, strconv.Itoa(len(d.b)-d.off)+" unexpected trailing byte(s)")
	}
	return d.err
}
