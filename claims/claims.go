package claims

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nkeys"
)

// Revision is the wascap_revision Sign writes: the internal revision of
// wascap 0.9 and later, from which wascap checks module hashes.
const Revision = 3

// headerType is the "typ" of wascap's JWT header (lower case).
const headerType = "jwt"

// Claims are what a signed module says about itself, signed by its issuer.
// On the wire they are wascap's JWT claims (iss, sub, iat, nbf, exp, jti,
// wascap_revision) with the module's metadata in a "wascap" object (name,
// hash, tags, caps, rev, ver, call_alias, prov). Zero values are absent on
// the wire.
type Claims struct {
	Issuer    string    // the account key (A...) that signed: iss
	Subject   string    // the module's own key (M...): sub
	ID        string    // the token's unique id: jti
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf; zero: valid from the start
	Expires   time.Time // exp; zero: never expires
	Name      string    // a descriptive name
	Hash      string    // the module hash (see Hash); Sign sets it
	Tags      []string  // free-form tags
	// Caps are the capabilities the module asks for (wascap before 0.14;
	// see CapabilityOf). Nil means the claims carry no list, as wasmCloud
	// 1.x writes them, which asks for nothing in particular; an empty,
	// non-nil list asks for no capability at all.
	Caps      []string
	Rev       int32  // a revision number
	Ver       string // a human-friendly version
	CallAlias string // wasmCloud's alias for calls
	Provider  bool   // signed as a capability provider (prov)
	Revision  int    // wascap's internal revision (wascap_revision); Sign writes Revision
}

// wire is Claims as wascap's serde structs read and write them.
type wire struct {
	Expires   *int64      `json:"exp,omitempty"`
	ID        *string     `json:"jti"`
	IssuedAt  *int64      `json:"iat"`
	Issuer    *string     `json:"iss"`
	Subject   *string     `json:"sub"`
	NotBefore *int64      `json:"nbf,omitempty"`
	Wascap    *wireModule `json:"wascap,omitempty"`
	Revision  *int64      `json:"wascap_revision,omitempty"`
}

type wireModule struct {
	Name      *string   `json:"name,omitempty"`
	Hash      *string   `json:"hash"`
	Tags      *[]string `json:"tags,omitempty"`
	Caps      *[]string `json:"caps,omitempty"`
	Rev       *int64    `json:"rev,omitempty"`
	Ver       *string   `json:"ver,omitempty"`
	CallAlias *string   `json:"call_alias,omitempty"`
	Provider  bool      `json:"prov"`
}

// The wire claims are golang-jwt Claims; the time checks are Verify's own
// (golang-jwt's validation is off), these only satisfy the interface.
func (w *wire) GetExpirationTime() (*jwt.NumericDate, error) { return numericDate(w.Expires), nil }
func (w *wire) GetIssuedAt() (*jwt.NumericDate, error)       { return numericDate(w.IssuedAt), nil }
func (w *wire) GetNotBefore() (*jwt.NumericDate, error)      { return numericDate(w.NotBefore), nil }
func (w *wire) GetIssuer() (string, error)                   { return deref(w.Issuer), nil }
func (w *wire) GetSubject() (string, error)                  { return deref(w.Subject), nil }
func (w *wire) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

func numericDate(v *int64) *jwt.NumericDate {
	if v == nil {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(*v, 0))
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func unixPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	u := t.Unix()
	return &u
}

func timeOf(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.Unix(*v, 0).UTC()
}

// toWire is c as the token's claims.
func (c *Claims) toWire() *wire {
	w := &wire{
		Expires:   unixPtr(c.Expires),
		ID:        &c.ID,
		IssuedAt:  unixPtr(c.IssuedAt),
		Issuer:    &c.Issuer,
		Subject:   &c.Subject,
		NotBefore: unixPtr(c.NotBefore),
		Wascap: &wireModule{
			Name:      ptr(c.Name),
			Hash:      &c.Hash,
			Ver:       ptr(c.Ver),
			CallAlias: ptr(c.CallAlias),
			Provider:  c.Provider,
		},
	}
	if w.IssuedAt == nil {
		w.IssuedAt = new(int64)
	}
	if c.Rev != 0 {
		r := int64(c.Rev)
		w.Wascap.Rev = &r
	}
	if len(c.Tags) > 0 {
		w.Wascap.Tags = &c.Tags
	}
	if c.Caps != nil {
		caps := slices.Clone(c.Caps)
		w.Wascap.Caps = &caps
	}
	if c.Revision != 0 {
		r := int64(c.Revision)
		w.Revision = &r
	}
	return w
}

// fromWire checks that w has what wascap requires (jti, iat, iss, sub and
// the wascap object with its hash, numbers in range) and returns it as
// Claims.
func fromWire(w *wire) (*Claims, error) {
	switch {
	case w.ID == nil:
		return nil, errors.New(`no "jti"`)
	case w.IssuedAt == nil:
		return nil, errors.New(`no "iat"`)
	case w.Issuer == nil || *w.Issuer == "":
		return nil, errors.New(`no "iss" (issuer)`)
	case w.Subject == nil || *w.Subject == "":
		return nil, errors.New(`no "sub" (subject)`)
	case w.Wascap == nil:
		return nil, errors.New(`no "wascap" object: these are not a module's claims`)
	case w.Wascap.Hash == nil:
		return nil, errors.New(`no "wascap.hash" (module hash)`)
	}
	for name, v := range map[string]*int64{"iat": w.IssuedAt, "exp": w.Expires, "nbf": w.NotBefore} {
		if v != nil && *v < 0 {
			return nil, fmt.Errorf("%q is negative", name)
		}
	}
	if r := w.Wascap.Rev; r != nil && (*r < math.MinInt32 || *r > math.MaxInt32) {
		return nil, errors.New(`"wascap.rev" is out of range`)
	}
	if r := w.Revision; r != nil && (*r < 0 || *r > math.MaxUint32) {
		return nil, errors.New(`"wascap_revision" is out of range`)
	}
	m := w.Wascap
	c := &Claims{
		Issuer:    *w.Issuer,
		Subject:   *w.Subject,
		ID:        *w.ID,
		IssuedAt:  timeOf(w.IssuedAt),
		NotBefore: timeOf(w.NotBefore),
		Expires:   timeOf(w.Expires),
		Name:      deref(m.Name),
		Hash:      *m.Hash,
		Tags:      slices.Clone(deref(m.Tags)),
		Rev:       int32(deref(m.Rev)),
		Ver:       deref(m.Ver),
		CallAlias: deref(m.CallAlias),
		Provider:  m.Provider,
		Revision:  int(deref(w.Revision)),
	}
	if m.Caps != nil {
		c.Caps = append([]string{}, *m.Caps...)
	}
	return c, nil
}

// Token is a module's claims as found in it, not verified.
type Token struct {
	JWT     string // the raw token
	Section string // the custom section it is in (SectionName or LegacySectionName)
	Header  map[string]any
	Claims  Claims
}

// parser decodes as wascap does: base64url without padding, strictly.
var parser = jwt.NewParser(jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())

// findToken returns the token section of bin (top level only), or nil.
func findToken(wasm []byte, bin *layout) (*section, string, error) {
	var found *section
	for i := range bin.sections {
		s := &bin.sections[i]
		if !s.isToken() {
			continue
		}
		if found != nil {
			return nil, "", &Error{Reason: MalformedModule, Detail: fmt.Sprintf("more than one claims section (%s and %s)", found.name, s.name)}
		}
		found = s
	}
	if found == nil {
		return nil, "", nil
	}
	data := wasm[found.data:found.end]
	if !utf8.Valid(data) {
		return nil, "", &Error{Reason: MalformedToken, Detail: "the " + found.name + " section is not UTF-8 text"}
	}
	return found, string(data), nil
}

// Extract returns the claims wasm carries, decoded but not verified (for
// inspection: Verify is what trusts them), or nil when it carries none.
// The error is an *Error: MalformedModule or MalformedToken.
func Extract(wasm []byte) (*Token, error) {
	bin, err := parse(wasm)
	if err != nil {
		return nil, err
	}
	sec, raw, err := findToken(wasm, bin)
	if err != nil || sec == nil {
		return nil, err
	}
	var w wire
	t, _, err := parser.ParseUnverified(raw, &w)
	if err != nil {
		return nil, malformed(err)
	}
	if err := checkHeader(t); err != nil {
		return nil, err
	}
	c, err := fromWire(&w)
	if err != nil {
		return nil, &Error{Reason: MalformedToken, Detail: err.Error()}
	}
	return &Token{JWT: raw, Section: sec.name, Header: t.Header, Claims: *c}, nil
}

// malformed words a golang-jwt decoding error.
func malformed(err error) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, jwt.ErrTokenMalformed.Error()+": ")
	msg = strings.TrimPrefix(msg, jwt.ErrTokenUnverifiable.Error()+": ")
	return &Error{Reason: MalformedToken, Detail: msg}
}

// checkHeader checks wascap's header: typ "jwt", alg "Ed25519".
func checkHeader(t *jwt.Token) error {
	if typ, _ := t.Header["typ"].(string); typ != headerType {
		return &Error{Reason: MalformedToken, Detail: fmt.Sprintf("header typ is %q, not %q", t.Header["typ"], headerType)}
	}
	if alg, _ := t.Header["alg"].(string); alg != Alg {
		return &Error{Reason: MalformedToken, Detail: fmt.Sprintf("header alg is %q, not %q", t.Header["alg"], Alg)}
	}
	if _, ok := t.Method.(signingMethod); !ok {
		return &Error{Reason: MalformedToken, Detail: fmt.Sprintf("alg %q is not registered to this package's signing method", Alg)}
	}
	return nil
}

// VerifyOptions are what Verify checks claims against.
type VerifyOptions struct {
	// Now is the time expiry and not-before are checked at; zero means
	// time.Now().
	Now time.Time
	// TrustedIssuers are the account public keys (A...) whose claims are
	// accepted; empty accepts any account whose signature verifies.
	TrustedIssuers []string
}

// Verify checks the claims wasm carries and returns them. In this order:
// that there are claims, that the token is a wascap JWT, that its issuer is
// an account key, that the issuer signed it, that its subject is a module
// key, that the module hash matches (so no byte of the module outside the
// claims section changed since it was signed), that the issuer is trusted,
// and that the claims are neither expired nor not yet valid. The error is
// an *Error whose Reason is the first check that failed.
func Verify(wasm []byte, opts VerifyOptions) (*Claims, error) {
	bin, err := parse(wasm)
	if err != nil {
		return nil, err
	}
	sec, raw, err := findToken(wasm, bin)
	if err != nil {
		return nil, err
	}
	if sec == nil {
		return nil, &Error{Reason: NoClaims, Detail: fmt.Sprintf("the module carries no signed claims (no %s section)", SectionName)}
	}
	var w wire
	var c *Claims
	_, err = parser.ParseWithClaims(raw, &w, func(t *jwt.Token) (any, error) {
		if err := checkHeader(t); err != nil {
			return nil, err
		}
		var ferr error
		if c, ferr = fromWire(&w); ferr != nil {
			return nil, &Error{Reason: MalformedToken, Detail: ferr.Error()}
		}
		if !nkeys.IsValidPublicAccountKey(c.Issuer) {
			return nil, keyTypeError("issuer", c.Issuer, "an account key (A...)")
		}
		return nkeys.FromPublicKey(c.Issuer)
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, &Error{Reason: BadSignature, Detail: fmt.Sprintf("the token is not signed by its issuer %s (the token was changed, or forged)", w.issuer())}
	default:
		return nil, malformed(err)
	}
	if !IsModuleKey(c.Subject) {
		return nil, keyTypeError("subject", c.Subject, "a module key (M...)")
	}
	hash := strippedHash(wasm, bin)
	if hash != c.Hash {
		d := fmt.Sprintf("the module was changed after %s signed it (its SHA-256 is %s, the claims say %s)", c.Issuer, hash, c.Hash)
		if c.Revision < Revision {
			d += fmt.Sprintf("; the claims are of wascap revision %d, hashed another way: re-sign the module", c.Revision)
		}
		return nil, &Error{Reason: HashMismatch, Detail: d}
	}
	if len(opts.TrustedIssuers) > 0 && !slices.Contains(opts.TrustedIssuers, c.Issuer) {
		return nil, &Error{Reason: UntrustedIssuer, Detail: fmt.Sprintf("signed by %s, which is not a trusted issuer", c.Issuer)}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	if !c.Expires.IsZero() && now.After(c.Expires) {
		return nil, &Error{Reason: Expired, Detail: fmt.Sprintf("the claims signed by %s expired at %s", c.Issuer, c.Expires.Format(time.RFC3339))}
	}
	if !c.NotBefore.IsZero() && now.Before(c.NotBefore) {
		return nil, &Error{Reason: NotYetValid, Detail: fmt.Sprintf("the claims signed by %s are valid from %s", c.Issuer, c.NotBefore.Format(time.RFC3339))}
	}
	return c, nil
}

func (w *wire) issuer() string { return deref(w.Issuer) }

func keyTypeError(role, key, want string) *Error {
	kind := KeyKind(key)
	switch kind {
	case "":
		return &Error{Reason: WrongKeyType, Detail: fmt.Sprintf("the %s %q is not an nkey public key; it must be %s", role, key, want)}
	}
	article := "a"
	if kind == "account" || kind == "operator" {
		article = "an"
	}
	return &Error{Reason: WrongKeyType, Detail: fmt.Sprintf("the %s %s is %s %s key; it must be %s", role, key, article, kind, want)}
}

// Sign embeds claims c, signed by issuer (an account key pair with its
// seed), about the module whose key is subject (a module public key,
// M...), into wasm, and returns the signed module. Any claims wasm already
// carries are removed first, so re-signing replaces them. Sign sets c's
// Issuer, Subject, Hash and Revision; an empty ID and a zero IssuedAt are
// made fresh (a random ID; now). As wascap does, the output is wasm with its
// sections re-encoded (sizes in minimal LEB128) and the token appended in a
// SectionName custom section. The error is an *Error for a malformed module
// or a wrong key type.
func Sign(wasm []byte, c Claims, issuer nkeys.KeyPair, subject string) ([]byte, error) {
	bin, err := parse(wasm)
	if err != nil {
		return nil, err
	}
	if issuer == nil {
		return nil, errors.New("claims: no issuer key")
	}
	iss, err := issuer.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("claims: issuer key: %w", err)
	}
	if !nkeys.IsValidPublicAccountKey(iss) {
		return nil, keyTypeError("issuer", iss, "an account key (A...)")
	}
	if _, err := issuer.Seed(); err != nil {
		return nil, fmt.Errorf("claims: the issuer key %s has no seed, so it cannot sign", iss)
	}
	if !IsModuleKey(subject) {
		return nil, keyTypeError("subject", subject, "a module key (M...)")
	}
	for name, t := range map[string]time.Time{"issued-at": c.IssuedAt, "not-before": c.NotBefore, "expiry": c.Expires} {
		if !t.IsZero() && t.Before(time.Unix(0, 0)) {
			return nil, fmt.Errorf("claims: the %s time %s is before 1970", name, t.Format(time.RFC3339))
		}
	}
	c.Issuer, c.Subject, c.Hash, c.Revision = iss, subject, strippedHash(wasm, bin), Revision
	if c.ID == "" {
		c.ID = rand.Text()
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = time.Now()
	}
	t := jwt.NewWithClaims(SigningMethodEd25519, c.toWire())
	t.Header["typ"] = headerType
	jwtText, err := t.SignedString(issuer)
	if err != nil {
		return nil, fmt.Errorf("claims: sign: %w", err)
	}
	out := appendStripped(make([]byte, 0, strippedLen(bin)+len(jwtText)+32), wasm, bin)
	return appendCustom(out, SectionName, []byte(jwtText)), nil
}
