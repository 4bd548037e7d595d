package wasmhive_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive"
	"github.com/wasmhive/wasmhive/claims"
	"github.com/wasmhive/wasmhive/engine"
	"github.com/wasmhive/wasmhive/internal/testguest"
)

// claimsSigner is an account key that signs test modules.
type claimsSigner struct {
	kp  nkeys.KeyPair
	pub string
}

func newClaimsSigner(t testing.TB) claimsSigner {
	t.Helper()
	kp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return claimsSigner{kp, pub}
}

// sign returns wasm signed by s with claims c.
func (s claimsSigner) sign(t testing.TB, wasm []byte, c claims.Claims) []byte {
	t.Helper()
	_, module, err := claims.GenerateModuleKey()
	if err != nil {
		t.Fatal(err)
	}
	out, err := claims.Sign(wasm, c, s.kp, module)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func claimsHello(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(testguest.Path(t, "../../examples/hello/hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// claimsCodeByte is the offset of a byte inside wasm's code section.
func claimsCodeByte(t testing.TB, wasm []byte) int {
	t.Helper()
	// Walk the sections (id, LEB128 size) to the code section (id 10).
	pos := 8
	for pos < len(wasm) {
		id := wasm[pos]
		size, n := 0, 0
		for shift := 0; ; shift += 7 {
			c := wasm[pos+1+n]
			size |= int(c&0x7f) << shift
			n++
			if c&0x80 == 0 {
				break
			}
		}
		start := pos + 1 + n
		if id == 10 {
			return start + size/2
		}
		pos = start + size
	}
	t.Fatal("no code section")
	return 0
}

func addClaimsComponent(t *testing.T, pol wasmhive.ClaimsPolicy, cfg wasmhive.ComponentConfig) (*wasmhive.Component, error) {
	t.Helper()
	ctx := context.Background()
	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{Claims: pol, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(ctx) })
	return h.AddComponent(ctx, "hello", cfg)
}

// TestHostClaims: the Host verifies claims on load under its policy; each
// refusal is a *engine.LoadError (so the CLI exits 2) wrapping the
// *claims.Error or *ClaimsGrantError, in one line naming what failed.
func TestHostClaims(t *testing.T) {
	s, other := newClaimsSigner(t), newClaimsSigner(t)
	hello := claimsHello(t)
	signed := s.sign(t, hello, claims.Claims{Name: "hello", Caps: []string{"wasmcloud:keyvalue", "wasmcloud:httpserver"}})
	noCaps := s.sign(t, hello, claims.Claims{Name: "hello"})
	tampered := append([]byte(nil), signed...)
	tampered[claimsCodeByte(t, tampered)] ^= 1
	expired := s.sign(t, hello, claims.Claims{IssuedAt: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)})
	early := s.sign(t, hello, claims.Claims{NotBefore: time.Now().Add(time.Hour)})
	kv := wasmhive.Grants{KeyValue: &wasmhive.KeyValueGrant{}}
	http := wasmhive.Grants{HTTP: &wasmhive.HTTPGrant{}}
	dir := t.TempDir()
	signedFile := filepath.Join(dir, "signed.wasm")
	if err := os.WriteFile(signedFile, signed, 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		pol    wasmhive.ClaimsPolicy
		cfg    wasmhive.ComponentConfig
		reason claims.Reason // 0: a ClaimsGrantError when text is set, else success
		text   string
	}{
		{"unsigned, no policy", wasmhive.ClaimsPolicy{}, wasmhive.ComponentConfig{Wasm: hello}, 0, ""},
		{"signed file, trusted", wasmhive.ClaimsPolicy{Require: true, TrustedIssuers: []string{s.pub}}, wasmhive.ComponentConfig{Module: signedFile, Grants: kv}, 0, ""},
		{"no caps list, any grant", wasmhive.ClaimsPolicy{Require: true}, wasmhive.ComponentConfig{Wasm: noCaps, Grants: http}, 0, ""},
		{"unsigned, required", wasmhive.ClaimsPolicy{Require: true}, wasmhive.ComponentConfig{Wasm: hello}, claims.NoClaims, "no signed claims and the host requires them"},
		{"not wasm, required", wasmhive.ClaimsPolicy{Require: true}, wasmhive.ComponentConfig{Wasm: []byte("garbage")}, claims.MalformedModule, "claims: malformed module: not a WebAssembly module"},
		{"untrusted issuer", wasmhive.ClaimsPolicy{TrustedIssuers: []string{other.pub}}, wasmhive.ComponentConfig{Wasm: signed}, claims.UntrustedIssuer, s.pub + ", which is not a trusted issuer"},
		{"tampered, no policy", wasmhive.ClaimsPolicy{}, wasmhive.ComponentConfig{Wasm: tampered}, claims.HashMismatch, "changed after"},
		{"expired", wasmhive.ClaimsPolicy{}, wasmhive.ComponentConfig{Wasm: expired}, claims.Expired, "expired at"},
		{"not yet valid", wasmhive.ClaimsPolicy{}, wasmhive.ComponentConfig{Wasm: early}, claims.NotYetValid, "valid from"},
		{"grant not in caps", wasmhive.ClaimsPolicy{}, wasmhive.ComponentConfig{Wasm: signed, Grants: http}, 0,
			"component hello is granted http, but its claims (signed by " + s.pub + ") ask only for keyvalue (caps: [wasmcloud:keyvalue, wasmcloud:httpserver])"},
		{"tampered library", wasmhive.ClaimsPolicy{}, wasmhive.ComponentConfig{Wasm: hello, Libraries: []wasmhive.Library{{Name: "lib", Wasm: tampered}}}, claims.HashMismatch, "load lib: claims: hash mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			comp, err := addClaimsComponent(t, c.pol, c.cfg)
			if c.reason == 0 && c.text == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cl := comp.Claims(); (cl == nil) != (c.cfg.Wasm != nil && string(c.cfg.Wasm) == string(hello)) {
					t.Errorf("Claims() = %+v", cl)
				}
				return
			}
			var le *engine.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T), want a *engine.LoadError", err, err)
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q, want one line with %q", err, c.text)
			}
			var ce *wasmhive.ClaimsError
			var ge *wasmhive.ClaimsGrantError
			switch {
			case c.reason != 0 && (!errors.As(err, &ce) || ce.Reason != c.reason):
				t.Errorf("error %v: want claims reason %s", err, c.reason)
			case c.reason == 0 && !errors.As(err, &ge):
				t.Errorf("error %v: want a *ClaimsGrantError", err)
			}
		})
	}
}

// TestHostClaimsAccessor: Component.Claims returns the verified claims, a
// copy; a bad trusted issuer in the policy is an error, not a silent
// mismatch.
func TestHostClaimsAccessor(t *testing.T) {
	s := newClaimsSigner(t)
	signed := s.sign(t, claimsHello(t), claims.Claims{Name: "hello", Tags: []string{"x"}})
	comp, err := addClaimsComponent(t, wasmhive.ClaimsPolicy{TrustedIssuers: []string{s.pub}}, wasmhive.ComponentConfig{Wasm: signed})
	if err != nil {
		t.Fatal(err)
	}
	cl := comp.Claims()
	if cl == nil || cl.Name != "hello" || cl.Issuer != s.pub || !claims.IsModuleKey(cl.Subject) || cl.Caps != nil {
		t.Fatalf("claims %+v", cl)
	}
	cl.Tags[0] = "changed"
	if comp.Claims().Tags[0] != "x" {
		t.Error("Claims() shares its tags with the component")
	}
	_, err = addClaimsComponent(t, wasmhive.ClaimsPolicy{TrustedIssuers: []string{"Mnope"}}, wasmhive.ComponentConfig{Wasm: signed})
	if err == nil || !strings.Contains(err.Error(), `trusted issuer "Mnope" is not an account public key`) {
		t.Errorf("bad trusted issuer: %v", err)
	}
}

// A host that runs only modules signed by one account: the component's
// verified claims are on it.
func ExampleComponent_Claims() {
	ctx := context.Background()
	account, _ := nkeys.CreateAccount()
	issuer, _ := account.PublicKey()
	_, module, _ := claims.GenerateModuleKey()
	wasm, _ := os.ReadFile("examples/hello/hello.wasm")
	signed, err := claims.Sign(wasm, claims.Claims{Name: "hello"}, account, module)
	if err != nil {
		panic(err)
	}

	h, err := wasmhive.NewHost(ctx, wasmhive.HostConfig{
		Claims: wasmhive.ClaimsPolicy{Require: true, TrustedIssuers: []string{issuer}},
	})
	if err != nil {
		panic(err)
	}
	defer h.Close(ctx)
	if _, err := h.AddComponent(ctx, "unsigned", wasmhive.ComponentConfig{Wasm: wasm}); err != nil {
		fmt.Println(err)
	}
	c, err := h.AddComponent(ctx, "hello", wasmhive.ComponentConfig{Wasm: signed})
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Claims().Name, c.Claims().Issuer == issuer)
	// Output:
	// load unsigned: claims: no claims: the module carries no signed claims and the host requires them (sign it with `wasmhive claims sign`)
	// hello true
}
