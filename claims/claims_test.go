package claims

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nkeys"
)

// Binary builders for tests.

func leb(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// paddedLEB is v as a 5-byte (non-minimal) LEB128, as some linkers write
// section sizes.
func paddedLEB(v uint32) []byte {
	return []byte{byte(v) | 0x80, byte(v>>7) | 0x80, byte(v>>14) | 0x80, byte(v>>21) | 0x80, byte(v >> 28)}
}

func sec(id byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	return append(leb([]byte{id}, uint64(len(c))), c...)
}

func custom(name string, data []byte) []byte {
	return sec(0, leb(nil, uint64(len(name))), []byte(name), data)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// testModule is a small valid core module: one function "run" returning
// 42, and a custom section "note".
func testModule() []byte {
	return cat(moduleHeader,
		sec(1, []byte{0x01, 0x60, 0x00, 0x01, 0x7f}),                  // type: () -> i32
		sec(3, []byte{0x01, 0x00}),                                    // one function
		sec(7, []byte{0x01, 0x03}, []byte("run"), []byte{0x00, 0x00}), // export "run"
		sec(10, []byte{0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b}),           // body: i32.const 42
		custom("note", []byte("a custom section")),
	)
}

// testComponent is a component nesting a core module (testModule) and a
// component (holding a custom section), with a custom section of its own.
func testComponent(inner []byte) []byte {
	nested := cat(componentHeader, custom("inner", []byte("nested component")))
	return cat(componentHeader,
		custom("component-note", []byte("top")),
		sec(idModule, inner),
		sec(idComponent, nested),
	)
}

type keys struct {
	account nkeys.KeyPair
	accPub  string
	module  string
}

func newKeys(t testing.TB) keys {
	t.Helper()
	a, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := a.PublicKey()
	_, m, err := GenerateModuleKey()
	if err != nil {
		t.Fatal(err)
	}
	return keys{a, pub, m}
}

func sign(t testing.TB, wasm []byte, c Claims, k keys) []byte {
	t.Helper()
	out, err := Sign(wasm, c, k.account, k.module)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// reason returns err's *Error reason, failing the test for any other error.
func reason(t *testing.T, err error) Reason {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *claims.Error", err, err)
	}
	if strings.Contains(ce.Error(), "\n") {
		t.Errorf("error is more than one line: %q", ce.Error())
	}
	return ce.Reason
}

// tokenSection returns the token section of a signed binary.
func tokenSection(t *testing.T, wasm []byte) section {
	t.Helper()
	bin, err := parseBinary(wasm, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bin.sections {
		if s.isToken() {
			return s
		}
	}
	t.Fatal("no token section")
	return section{}
}

func sectionByID(t *testing.T, wasm []byte, id byte, name string) section {
	t.Helper()
	bin, err := parseBinary(wasm, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bin.sections {
		if s.id == id && s.name == name {
			return s
		}
	}
	t.Fatalf("no section %d %q", id, name)
	return section{}
}

func flip(wasm []byte, at int) []byte {
	b := slices.Clone(wasm)
	b[at] ^= 0x01
	return b
}

// TestSignVerify: what Sign writes, Verify returns, field by field, and
// wascap's wire names are in the token.
func TestSignVerify(t *testing.T) {
	k := newKeys(t)
	iat := time.Unix(1_700_000_000, 0).UTC()
	in := Claims{
		Name: "hello", Tags: []string{"a", "b"}, Caps: []string{"wasmcloud:keyvalue", "http"},
		Rev: 7, Ver: "1.2.3", CallAlias: "hello_alias", IssuedAt: iat,
		NotBefore: iat.Add(time.Hour), Expires: iat.Add(48 * time.Hour), ID: "jti-1",
	}
	wasm := testModule()
	signed := sign(t, wasm, in, k)
	got, err := Verify(signed, VerifyOptions{Now: iat.Add(2 * time.Hour), TrustedIssuers: []string{k.accPub}})
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Issuer, want.Subject, want.Revision = k.accPub, k.module, Revision
	want.Hash, _ = Hash(wasm)
	if got.Hash == "" || got.Hash != strings.ToUpper(got.Hash) || len(got.Hash) != 64 {
		t.Errorf("hash %q: want 64 upper-case hex digits", got.Hash)
	}
	if !equalClaims(*got, want) {
		t.Errorf("verified claims\n%+v\nwant\n%+v", *got, want)
	}
	tok, err := Extract(signed)
	if err != nil || tok == nil || tok.Section != SectionName || !equalClaims(tok.Claims, want) {
		t.Fatalf("Extract: %+v, %v", tok, err)
	}
	if tok.Header["typ"] != "jwt" || tok.Header["alg"] != "Ed25519" {
		t.Errorf("header %v: want typ jwt, alg Ed25519 (wascap's)", tok.Header)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok.JWT, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"iss":`, `"sub":`, `"iat":1700000000`, `"nbf":1700003600`, `"exp":1700172800`, `"jti":"jti-1"`,
		`"wascap":{`, `"name":"hello"`, `"hash":"` + want.Hash, `"tags":["a","b"]`, `"caps":["wasmcloud:keyvalue","http"]`,
		`"rev":7`, `"ver":"1.2.3"`, `"call_alias":"hello_alias"`, `"prov":false`, `"wascap_revision":3`} {
		if !strings.Contains(string(payload), field) {
			t.Errorf("payload %s lacks %s", payload, field)
		}
	}
	// The module is unchanged but for the appended token section.
	if !bytes.HasPrefix(signed, wasm) {
		t.Error("signing a minimally encoded module changed its sections")
	}
}

func equalClaims(a, b Claims) bool {
	return a.Issuer == b.Issuer && a.Subject == b.Subject && a.ID == b.ID && a.IssuedAt.Equal(b.IssuedAt) &&
		a.NotBefore.Equal(b.NotBefore) && a.Expires.Equal(b.Expires) && a.Name == b.Name && a.Hash == b.Hash &&
		slices.Equal(a.Tags, b.Tags) && slices.Equal(a.Caps, b.Caps) && (a.Caps == nil) == (b.Caps == nil) &&
		a.Rev == b.Rev && a.Ver == b.Ver && a.CallAlias == b.CallAlias && a.Provider == b.Provider && a.Revision == b.Revision
}

// TestSignDefaults: an empty ID and IssuedAt are made; no caps list stays
// none (nil), an empty one stays empty.
func TestSignDefaults(t *testing.T) {
	k := newKeys(t)
	before := time.Now().Add(-time.Second)
	c1, err := Verify(sign(t, testModule(), Claims{}, k), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Verify(sign(t, testModule(), Claims{Caps: []string{}}, k), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c1.ID == "" || c1.ID == c2.ID || c1.IssuedAt.Before(before.Truncate(time.Second)) {
		t.Errorf("ID %q / %q, issued at %s: want fresh ones", c1.ID, c2.ID, c1.IssuedAt)
	}
	if c1.Caps != nil || c2.Caps == nil || len(c2.Caps) != 0 {
		t.Errorf("caps %#v and %#v: want nil (no list) and empty", c1.Caps, c2.Caps)
	}
}

// TestReSign: signing a signed module replaces its claims (one token
// section, the new issuer's), and the hash is the module's either way.
func TestReSign(t *testing.T) {
	k1, k2 := newKeys(t), newKeys(t)
	wasm := testModule()
	once := sign(t, wasm, Claims{Name: "one"}, k1)
	twice := sign(t, once, Claims{Name: "two"}, k2)
	c, err := Verify(twice, VerifyOptions{TrustedIssuers: []string{k2.accPub}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "two" || c.Issuer != k2.accPub {
		t.Errorf("re-signed claims: %+v", c)
	}
	bin, _ := parseBinary(twice, 0, 0)
	n := 0
	for _, s := range bin.sections {
		if s.isToken() {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d token sections after re-signing, want 1", n)
	}
	h1, _ := Hash(wasm)
	h2, _ := Hash(twice)
	if h1 != h2 || c.Hash != h1 {
		t.Errorf("hashes %s, %s, claimed %s: want one", h1, h2, c.Hash)
	}
	if _, err := Verify(twice, VerifyOptions{TrustedIssuers: []string{k1.accPub}}); reason(t, err) != UntrustedIssuer {
		t.Errorf("the first issuer still verifies: %v", err)
	}
	// A legacy "jwt" section is replaced too.
	legacy := cat(wasm, custom(LegacySectionName, []byte("old token")))
	if _, err := Verify(sign(t, legacy, Claims{}, k1), VerifyOptions{}); err != nil {
		t.Errorf("re-signing a module with a legacy jwt section: %v", err)
	}
}

// TestVerifyReasons: every way claims fail gives its reason, in one line
// naming it.
func TestVerifyReasons(t *testing.T) {
	k := newKeys(t)
	other := newKeys(t)
	now := time.Unix(1_800_000_000, 0)
	wasm := testModule()
	signed := sign(t, wasm, Claims{Name: "m", IssuedAt: now.Add(-time.Hour), NotBefore: now.Add(-time.Minute), Expires: now.Add(time.Hour)}, k)
	tok := tokenSection(t, signed)
	jwtText := string(signed[tok.data:tok.end])
	sigAt := tok.data + strings.LastIndex(jwtText, ".") + 10
	payloadAt := tok.data + strings.Index(jwtText, ".") + 20
	code := sectionByID(t, signed, 10, "")
	note := sectionByID(t, signed, 0, "note")
	exports := sectionByID(t, signed, 7, "")

	cases := []struct {
		name string
		wasm []byte
		opts VerifyOptions
		want []Reason // one of
		text string   // in the message
	}{
		{"unsigned", wasm, VerifyOptions{}, []Reason{NoClaims}, "no signed claims"},
		{"not wasm", []byte("hello"), VerifyOptions{}, []Reason{MalformedModule}, "not a WebAssembly module"},
		{"truncated", signed[:len(signed)-5], VerifyOptions{}, []Reason{MalformedModule}, "runs past the end"},
		{"code byte", flip(signed, code.end-2), VerifyOptions{Now: now}, []Reason{HashMismatch}, "changed after " + k.accPub + " signed it"},
		{"export name byte", flip(signed, exports.end-3), VerifyOptions{Now: now}, []Reason{HashMismatch}, "SHA-256"},
		{"other custom section byte", flip(signed, note.end-1), VerifyOptions{Now: now}, []Reason{HashMismatch}, "SHA-256"},
		{"appended section", cat(signed, custom("extra", nil)), VerifyOptions{Now: now}, []Reason{HashMismatch}, "SHA-256"},
		{"signature byte", replaceAt(signed, sigAt, otherB64(signed[sigAt])), VerifyOptions{Now: now}, []Reason{BadSignature}, "not signed by its issuer " + k.accPub},
		{"payload byte", replaceAt(signed, payloadAt, otherB64(signed[payloadAt])), VerifyOptions{Now: now}, []Reason{BadSignature, MalformedToken}, ""},
		{"expired", signed, VerifyOptions{Now: now.Add(2 * time.Hour)}, []Reason{Expired}, "expired at"},
		{"not yet valid", signed, VerifyOptions{Now: now.Add(-2 * time.Minute)}, []Reason{NotYetValid}, "valid from"},
		{"untrusted", signed, VerifyOptions{Now: now, TrustedIssuers: []string{other.accPub}}, []Reason{UntrustedIssuer}, k.accPub + ", which is not a trusted issuer"},
		{"two tokens", cat(signed, custom(SectionName, []byte(jwtText))), VerifyOptions{Now: now}, []Reason{MalformedModule}, "more than one claims section"},
		{"token not text", cat(wasm, custom(SectionName, []byte{0xff, 0xfe})), VerifyOptions{}, []Reason{MalformedToken}, "not UTF-8"},
		{"token not a jwt", cat(wasm, custom(SectionName, []byte("nope"))), VerifyOptions{}, []Reason{MalformedToken}, "segments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.wasm, c.opts)
			if err == nil {
				t.Fatal("verified")
			}
			if r := reason(t, err); !slices.Contains(c.want, r) {
				t.Errorf("reason %s (%v), want one of %v", r, err, c.want)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q lacks %q", err, c.text)
			}
		})
	}
	// The boundaries: valid at exactly nbf and exactly exp (as wascap).
	for _, at := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
		if _, err := Verify(signed, VerifyOptions{Now: at}); err != nil {
			t.Errorf("at %s: %v", at, err)
		}
	}
}

func replaceAt(b []byte, at int, c byte) []byte {
	b = slices.Clone(b)
	b[at] = c
	return b
}

// otherB64 is a base64url character other than c.
func otherB64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

// craft embeds a token made here (not by Sign) in wasm: claims w, header
// fields, signed by signer.
func craft(t *testing.T, wasm []byte, w *wire, header map[string]any, signer nkeys.KeyPair) []byte {
	t.Helper()
	tk := jwt.NewWithClaims(SigningMethodEd25519, w)
	tk.Header["typ"] = headerType
	for k, v := range header {
		tk.Header[k] = v
	}
	s, err := tk.SignedString(signer)
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := parseBinary(wasm, 0, 0)
	return appendCustom(appendStripped(nil, wasm, bin), SectionName, []byte(s))
}

func wireFor(t *testing.T, wasm []byte, iss, sub string) *wire {
	t.Helper()
	h, err := Hash(wasm)
	if err != nil {
		t.Fatal(err)
	}
	c := Claims{Issuer: iss, Subject: sub, ID: "x", IssuedAt: time.Unix(1, 0), Hash: h, Revision: Revision}
	return c.toWire()
}

// TestVerifyCrafted: tokens Sign would not write: another key type as
// issuer or subject, another header, missing fields, a legacy revision.
func TestVerifyCrafted(t *testing.T) {
	k := newKeys(t)
	wasm := testModule()
	user, _ := nkeys.CreateUser()
	userPub, _ := user.PublicKey()

	ok := craft(t, wasm, wireFor(t, wasm, k.accPub, k.module), nil, k.account)
	if _, err := Verify(ok, VerifyOptions{}); err != nil {
		t.Fatalf("a crafted token like Sign's: %v", err)
	}
	noWascap := wireFor(t, wasm, k.accPub, k.module)
	noWascap.Wascap = nil
	noHash := wireFor(t, wasm, k.accPub, k.module)
	noHash.Wascap.Hash = nil
	noIat := wireFor(t, wasm, k.accPub, k.module)
	noIat.IssuedAt = nil
	negExp := wireFor(t, wasm, k.accPub, k.module)
	neg := int64(-5)
	negExp.Expires = &neg
	legacy := wireFor(t, wasm, k.accPub, k.module)
	*legacy.Wascap.Hash = strings.Repeat("0", 64)
	two := int64(2)
	legacy.Revision = &two

	cases := []struct {
		name string
		wasm []byte
		want Reason
		text string
	}{
		{"user key issuer", craft(t, wasm, wireFor(t, wasm, userPub, k.module), nil, user), WrongKeyType, "the issuer " + userPub + " is a user key; it must be an account key (A...)"},
		{"account key subject", craft(t, wasm, wireFor(t, wasm, k.accPub, k.accPub), nil, k.account), WrongKeyType, "the subject " + k.accPub + " is an account key; it must be a module key (M...)"},
		{"file name subject", craft(t, wasm, wireFor(t, wasm, k.accPub, "test.wasm"), nil, k.account), WrongKeyType, "not an nkey public key"},
		{"signed by another key", craft(t, wasm, wireFor(t, wasm, k.accPub, k.module), nil, newKeys(t).account), BadSignature, "not signed by its issuer"},
		{"typ JWT", craft(t, wasm, wireFor(t, wasm, k.accPub, k.module), map[string]any{"typ": "JWT"}, k.account), MalformedToken, `header typ is "JWT"`},
		{"alg HS256", craft(t, wasm, wireFor(t, wasm, k.accPub, k.module), map[string]any{"alg": "HS256"}, k.account), MalformedToken, `header alg is "HS256"`},
		{"no wascap object", craft(t, wasm, noWascap, nil, k.account), MalformedToken, `no "wascap" object`},
		{"no hash", craft(t, wasm, noHash, nil, k.account), MalformedToken, `no "wascap.hash"`},
		{"no iat", craft(t, wasm, noIat, nil, k.account), MalformedToken, `no "iat"`},
		{"negative exp", craft(t, wasm, negExp, nil, k.account), MalformedToken, `"exp" is negative`},
		{"legacy revision", craft(t, wasm, legacy, nil, k.account), HashMismatch, "wascap revision 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Verify(c.wasm, VerifyOptions{})
			if r := reason(t, err); r != c.want || !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %v (%s), want %s with %q", err, r, c.want, c.text)
			}
		})
	}
}

// TestSignErrors: Sign refuses what it cannot sign, with the reason.
func TestSignErrors(t *testing.T) {
	k := newKeys(t)
	user, _ := nkeys.CreateUser()
	pubOnly, _ := nkeys.FromPublicKey(k.accPub)
	cases := []struct {
		name    string
		wasm    []byte
		issuer  nkeys.KeyPair
		subject string
		text    string
	}{
		{"not wasm", []byte("\x00asm\x02\x00\x00\x00"), k.account, k.module, "unsupported WebAssembly version"},
		{"user issuer", testModule(), user, k.module, "is a user key; it must be an account key"},
		{"public issuer", testModule(), pubOnly, k.module, "has no seed"},
		{"account subject", testModule(), k.account, k.accPub, "must be a module key"},
		{"no issuer", testModule(), nil, k.module, "no issuer"},
	}
	for _, c := range cases {
		if _, err := Sign(c.wasm, Claims{}, c.issuer, c.subject); err == nil || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.text)
		}
	}
	if _, err := Sign(testModule(), Claims{Expires: time.Unix(-10, 0)}, k.account, k.module); err == nil {
		t.Error("an expiry before 1970 was signed")
	}
}

// TestHashEncodingIndependent: the hash is over the sections re-encoded
// (as wascap's), so padded section sizes hash as minimal ones, and signing
// re-encodes them.
func TestHashEncodingIndependent(t *testing.T) {
	wasm := testModule()
	code := sectionByID(t, wasm, 10, "")
	body := wasm[code.start:code.end]
	padded := cat(wasm[:code.start-2], []byte{10}, paddedLEB(uint32(len(body))), wasm[code.start:])
	if bytes.Equal(padded, wasm) {
		t.Fatal("no padding")
	}
	h1, err1 := Hash(wasm)
	h2, err2 := Hash(padded)
	if err1 != nil || err2 != nil || h1 != h2 {
		t.Fatalf("hashes %s (%v), %s (%v): want one", h1, err1, h2, err2)
	}
	k := newKeys(t)
	signed := sign(t, padded, Claims{}, k)
	if !bytes.HasPrefix(signed, wasm) {
		t.Error("signing did not re-encode the padded size")
	}
	if _, err := Verify(signed, VerifyOptions{}); err != nil {
		t.Error(err)
	}
}

// TestComponent: components are signed and verified as modules are; a byte
// changed in a nested module is a hash mismatch; token sections nested at
// any depth are left out of the hash, as wascap does.
func TestComponent(t *testing.T) {
	k := newKeys(t)
	comp := testComponent(testModule())
	signed := sign(t, comp, Claims{Name: "comp"}, k)
	if c, err := Verify(signed, VerifyOptions{}); err != nil || c.Name != "comp" {
		t.Fatalf("component: %+v, %v", c, err)
	}
	nested := sectionByID(t, signed, idModule, "")
	if _, err := Verify(flip(signed, nested.end-3), VerifyOptions{}); reason(t, err) != HashMismatch {
		t.Errorf("a nested module's byte: %v", err)
	}
	withNestedToken := testComponent(cat(testModule(), custom(SectionName, []byte("nested token"))))
	h1, _ := Hash(comp)
	h2, _ := Hash(withNestedToken)
	if h1 != h2 {
		t.Errorf("a nested token section changed the hash: %s, %s", h1, h2)
	}
	// Only a top-level token counts.
	if _, err := Verify(withNestedToken, VerifyOptions{}); reason(t, err) != NoClaims {
		t.Errorf("nested token: %v", err)
	}
	// A module section holding a component header is malformed.
	bad := cat(componentHeader, sec(idModule, cat(componentHeader)))
	if _, err := Hash(bad); reason(t, err) != MalformedModule {
		t.Errorf("mismatched nested header: %v", err)
	}
}

// TestWalkerErrors: the section walker refuses what wasmparser refuses.
func TestWalkerErrors(t *testing.T) {
	m := moduleHeader
	cases := map[string][]byte{
		"short":             []byte("\x00as"),
		"bad magic":         []byte("\x00asn\x01\x00\x00\x00"),
		"version 2":         []byte("\x00asm\x02\x00\x00\x00"),
		"section id 0x80":   cat(m, []byte{0x80, 0x00}),
		"size past end":     cat(m, []byte{0x01, 0x05, 0x00}),
		"size 6 bytes":      cat(m, []byte{0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}),
		"size over 32 bits": cat(m, []byte{0x01, 0x80, 0x80, 0x80, 0x80, 0x10}),
		"size cut":          cat(m, []byte{0x01, 0x80}),
		"name not utf8":     cat(m, sec(0, []byte{0x02, 0xff, 0xfe})),
		"name past end":     cat(m, sec(0, []byte{0x09, 'a'})),
		"name too long":     cat(m, []byte{0x00, 0x04}, leb(nil, maxNameLen+1)),
	}
	for name, b := range cases {
		if _, err := Hash(b); err == nil || reason(t, err) != MalformedModule {
			t.Errorf("%s: %v", name, err)
		}
	}
	deep := cat(componentHeader)
	for range maxDepth + 1 {
		deep = cat(componentHeader, sec(idComponent, deep))
	}
	if _, err := Hash(deep); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("deep nesting: %v", err)
	}
	// Padded sizes are accepted (at most 5 bytes, 32 bits).
	if _, err := Hash(cat(m, []byte{0x00}, paddedLEB(2), []byte{0x01, 'x'})); err != nil {
		t.Errorf("padded size: %v", err)
	}
}

// TestModuleKeys: module keys are nkeys in format (checked against the
// nkeys package with account keys, whose prefix it knows), M... and SM...
func TestModuleKeys(t *testing.T) {
	seed, pub, err := GenerateModuleKey()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(seed), "SM") || !strings.HasPrefix(pub, "M") || len(pub) != 56 || len(seed) != 58 {
		t.Errorf("seed %s, public %s", seed, pub)
	}
	if !IsModuleKey(pub) || KeyKind(pub) != "module" {
		t.Errorf("%s is not a module key", pub)
	}
	got, err := ModulePublicKey(seed)
	if err != nil || got != pub {
		t.Errorf("ModulePublicKey: %s, %v; want %s", got, err, pub)
	}
	// The encoding is nkeys': an account key encoded here is nkeys' own.
	acc, _ := nkeys.CreateAccount()
	accPub, _ := acc.PublicKey()
	raw, err := decodeKey(accPub)
	if err != nil || encodeKey(raw) != accPub || raw[0] != 0 {
		t.Errorf("account key %s re-encoded as %s (%v)", accPub, encodeKey(raw), err)
	}
	accSeed, _ := acc.Seed()
	rawSeed, err := decodeKey(string(accSeed))
	if err != nil || encodeKey(rawSeed) != string(accSeed) {
		t.Errorf("account seed re-encoded differently (%v)", err)
	}
	if KeyKind(accPub) != "account" || IsModuleKey(accPub) || KeyKind("nope") != "" {
		t.Error("KeyKind / IsModuleKey misname keys")
	}
	if _, err := ModulePublicKey(accSeed); err == nil {
		t.Error("an account seed was taken for a module seed")
	}
	bad := []byte(strings.Clone(string(seed)))
	bad[10] ^= 1
	if _, err := ModulePublicKey(bad); err == nil {
		t.Error("a seed with a bad checksum was accepted")
	}
	if IsModuleKey(pub[:55] + string(pub[55]^1)) {
		t.Error("a public key with a bad checksum was accepted")
	}
}

// TestCapabilityOf: the names claims use map to wasmhive's capabilities.
func TestCapabilityOf(t *testing.T) {
	cases := map[string]string{
		"keyvalue": "keyvalue", "wasmhive:keyvalue": "keyvalue", "wasmhive:keyvalue/atomics": "keyvalue",
		"wasmcloud:keyvalue": "keyvalue", "wasi:keyvalue": "keyvalue", "wasi:keyvalue/store@0.2.0-draft": "keyvalue",
		"http": "http", "wasmhive:http/outgoing": "http", "wasmcloud:httpclient": "http", "wasi:http": "http",
		"wasi:http/outgoing-handler@0.2.0": "http",
		"messaging":                        "messaging", "wasmcloud:messaging": "messaging", "wasi:messaging/consumer": "messaging",
		"config": "config", "wasi:config/runtime": "config", "wasmcloud:config": "config",
		"logging": "logging", "wasmcloud:builtin:logging": "logging", "wasi:logging/logging": "logging", "wasmcloud:logging": "logging",
		"wasmcloud:httpserver": "", "wasi:http/incoming-handler": "", "wasmcloud:blobstore": "", "KeyValue": "",
		"wasmhive:nope": "", "": "", "wasi:keyvaluex": "", "acme:keyvalue": "",
	}
	for in, want := range cases {
		got, ok := CapabilityOf(in)
		if got != want || ok != (want != "") {
			t.Errorf("CapabilityOf(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestWascapFixture: a module signed by the real wascap crate (wash's
// library) verifies here: testdata/build.sh made it with compat/wascap.
func TestWascapFixture(t *testing.T) {
	for _, f := range []struct {
		file string
		caps []string
	}{
		{"testdata/hello.wascap.wasm", nil},
		{"testdata/hello.wascap013.wasm", []string{"wasmcloud:keyvalue", "wasmcloud:httpclient"}},
	} {
		wasm, err := os.ReadFile(f.file)
		if err != nil {
			t.Fatal(err)
		}
		acct, err := os.ReadFile(strings.TrimSuffix(f.file, ".wasm") + ".account")
		if err != nil {
			t.Fatal(err)
		}
		c, err := Verify(wasm, VerifyOptions{TrustedIssuers: []string{strings.TrimSpace(string(acct))}})
		if err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		if c.Name != "hello" || !IsModuleKey(c.Subject) || c.Revision != Revision || !slices.Equal(c.Caps, f.caps) ||
			(c.Caps == nil) != (f.caps == nil) || !slices.Equal(c.Tags, []string{"fixture"}) || c.Ver != "0.1.0" || c.Rev != 1 {
			t.Errorf("%s: claims %+v", f.file, c)
		}
		// The hash wascap recorded is ours, of the module as it was.
		orig, err := os.ReadFile("../examples/hello/hello.wasm")
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := Hash(orig); h != c.Hash {
			t.Logf("%s: examples/hello/hello.wasm changed since the fixture was signed (hash %s, fixture %s)", f.file, h, c.Hash)
		}
		if _, err := Verify(flip(wasm, 100), VerifyOptions{}); reason(t, err) != HashMismatch {
			t.Errorf("%s tampered: %v", f.file, err)
		}
	}
}
