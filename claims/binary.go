package claims

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Names of the custom sections a token lives in: wascap 0.9 and later write
// SectionName; older versions wrote LegacySectionName. Both are read, and
// both are removed when a module is hashed or signed.
const (
	SectionName       = "wasmcloud_jwt"
	LegacySectionName = "jwt"
)

// The headers wascap hashes a module and a component with: the version
// fields are not copied from the binary but written anew, so a binary with
// any other version is refused as malformed rather than hashed as if it had
// these.
var (
	moduleHeader    = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	componentHeader = []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}
)

// Limits the section walker shares with wasmparser (the parser under
// wascap), so that a binary one of them accepts the other accepts too.
const (
	maxNameLen  = 100_000 // bytes in a custom section's name
	maxNestSize = 1 << 30 // bytes in a nested module or component
	maxDepth    = 100     // components nested in components
	idModule    = byte(1) // component section holding a core module
	idComponent = byte(4) // component section holding a component
	idCustom    = byte(0) // custom section, in modules and components
	maxSection  = byte(0x7f)
)

// layout is the section layout of a core module or a component: what the
// hash and the token need, not a decoding of what the sections hold.
type layout struct {
	component bool
	sections  []section
}

type section struct {
	id         byte
	start, end int     // the contents, after the id and size (offsets in the outer binary)
	name       string  // a custom section's name
	data       int     // where a custom section's payload starts (after the name)
	nested     *layout // a module or component nested in a component
}

// isToken reports whether s is a custom section holding a claims token.
func (s *section) isToken() bool {
	return s.id == idCustom && (s.name == SectionName || s.name == LegacySectionName)
}

// formatError reports a binary whose section structure cannot be walked.
type formatError struct {
	off int
	msg string
}

func (e *formatError) Error() string { return fmt.Sprintf("%s (at byte %d)", e.msg, e.off) }

// parseBinary walks b's header and sections. base is b's offset in the
// outermost binary (offsets in the result are in the outermost binary).
func parseBinary(b []byte, base, depth int) (*layout, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, &formatError{base, "not a WebAssembly module (no \\0asm magic number)"}
	}
	bin := &layout{}
	switch string(b[:8]) {
	case string(moduleHeader):
	case string(componentHeader):
		bin.component = true
	default:
		return nil, &formatError{base + 4, fmt.Sprintf("unsupported WebAssembly version % x (want a core module, 01 00 00 00, or a component, 0d 00 01 00)", b[4:8])}
	}
	pos := 8
	for pos < len(b) {
		id := b[pos]
		if id > maxSection {
			return nil, &formatError{base + pos, fmt.Sprintf("malformed section id 0x%02x", id)}
		}
		size, n, err := readU32(b[pos+1:])
		if err != nil {
			return nil, &formatError{base + pos + 1, "section size: " + err.Error()}
		}
		start := pos + 1 + n
		if uint64(size) > uint64(len(b)-start) {
			return nil, &formatError{base + pos + 1, fmt.Sprintf("section of %d bytes runs past the end of the binary (%d bytes remain)", size, len(b)-start)}
		}
		end := start + int(size)
		s := section{id: id, start: base + start, end: base + end}
		switch {
		case id == idCustom:
			name, n, err := readName(b[start:end])
			if err != nil {
				return nil, &formatError{base + start, "custom section name: " + err.Error()}
			}
			s.name, s.data = name, base+start+n
		case bin.component && (id == idModule || id == idComponent):
			if depth >= maxDepth {
				return nil, &formatError{base + pos, fmt.Sprintf("components nested more than %d deep", maxDepth)}
			}
			if size > maxNestSize {
				return nil, &formatError{base + pos + 1, fmt.Sprintf("nested binary of %d bytes is too large", size)}
			}
			nested, err := parseBinary(b[start:end], base+start, depth+1)
			if err != nil {
				return nil, err
			}
			if nested.component != (id == idComponent) {
				return nil, &formatError{base + start, "nested binary's header does not match its section (module or component)"}
			}
			s.nested = nested
		}
		bin.sections = append(bin.sections, s)
		pos = end
	}
	return bin, nil
}

// readU32 reads an unsigned LEB128 number of at most 32 bits, as wasmparser
// reads section sizes: at most 5 bytes, padded (non-minimal) forms allowed.
func readU32(b []byte) (v uint32, n int, err error) {
	var shift uint
	for i := 0; ; i++ {
		if i >= len(b) {
			return 0, 0, errors.New("unexpected end of the binary in a LEB128 number")
		}
		c := b[i]
		if i == 4 && c>>4 != 0 {
			if c&0x80 != 0 {
				return 0, 0, errors.New("LEB128 number is longer than 5 bytes")
			}
			return 0, 0, errors.New("LEB128 number is larger than 32 bits")
		}
		v |= uint32(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
}

// readName reads a custom section's name (a length, then that many bytes
// of UTF-8) and returns it with the bytes it took.
func readName(b []byte) (string, int, error) {
	n, k, err := readU32(b)
	if err != nil {
		return "", 0, err
	}
	if n > maxNameLen {
		return "", 0, fmt.Errorf("a name of %d bytes is longer than %d", n, maxNameLen)
	}
	if uint64(n) > uint64(len(b)-k) {
		return "", 0, fmt.Errorf("a name of %d bytes runs past the end of its section", n)
	}
	name := b[k : k+int(n)]
	if !utf8.Valid(name) {
		return "", 0, errors.New("not valid UTF-8")
	}
	return string(name), k + int(n), nil
}

// appendU32 appends v as minimal unsigned LEB128.
func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// writeStripped writes bin (from the outermost binary src) without its
// token sections, at every depth, as wascap re-encodes a module before
// hashing and signing it: the header written anew, each section as its id,
// its size in minimal LEB128 and its contents, nested binaries re-encoded
// the same way. It streams (into a hash or a buffer), so hashing a module
// does not copy it.
func writeStripped(w io.Writer, src []byte, bin *layout) {
	if bin.component {
		w.Write(componentHeader)
	} else {
		w.Write(moduleHeader)
	}
	var hdr [6]byte
	for i := range bin.sections {
		s := &bin.sections[i]
		if s.isToken() {
			continue
		}
		size := uint32(s.end - s.start)
		if s.nested != nil {
			size = uint32(strippedLen(s.nested))
		}
		w.Write(appendU32(append(hdr[:0], s.id), size))
		if s.nested != nil {
			writeStripped(w, src, s.nested)
		} else {
			w.Write(src[s.start:s.end])
		}
	}
}

// strippedLen is the length writeStripped writes for bin.
func strippedLen(bin *layout) int {
	n := len(moduleHeader)
	for i := range bin.sections {
		s := &bin.sections[i]
		if s.isToken() {
			continue
		}
		size := s.end - s.start
		if s.nested != nil {
			size = strippedLen(s.nested)
		}
		n += 1 + len(appendU32(nil, uint32(size))) + size
	}
	return n
}

// appendStripped appends what writeStripped writes to out.
func appendStripped(out, src []byte, bin *layout) []byte {
	buf := bytes.NewBuffer(out)
	buf.Grow(strippedLen(bin))
	writeStripped(buf, src, bin)
	return buf.Bytes()
}

// strippedHash is the module hash of bin: the SHA-256 of its stripped
// form, in upper-case hex.
func strippedHash(src []byte, bin *layout) string {
	h := sha256.New()
	writeStripped(h, src, bin)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}

// appendCustom appends a custom section named name holding data.
func appendCustom(out []byte, name string, data []byte) []byte {
	content := appendU32(nil, uint32(len(name)))
	content = append(content, name...)
	content = append(content, data...)
	out = append(out, idCustom)
	out = appendU32(out, uint32(len(content)))
	return append(out, content...)
}

// Hash returns the module hash wascap records in claims: the SHA-256, in
// upper-case hex, of wasm with every claims section removed and its
// sections re-encoded (sizes in minimal LEB128). It is the same for a
// module before and after signing. The error is an *Error (MalformedModule)
// when wasm is not a module or component whose sections can be walked.
func Hash(wasm []byte) (string, error) {
	bin, err := parse(wasm)
	if err != nil {
		return "", err
	}
	return strippedHash(wasm, bin), nil
}

// parse walks wasm's sections, with the error as an *Error.
func parse(wasm []byte) (*layout, error) {
	bin, err := parseBinary(wasm, 0, 0)
	if err != nil {
		return nil, &Error{Reason: MalformedModule, Detail: err.Error()}
	}
	return bin, nil
}
