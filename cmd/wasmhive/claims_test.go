package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive/claims"
	"github.com/wasmhive/wasmhive/internal/testguest"
	"github.com/wasmhive/wasmhive/internal/wasmbin"
)

// claimsOneLine fails unless res exited with code and printed exactly one line
// on stderr containing want.
func claimsOneLine(t *testing.T, res cliResult, code int, want string) {
	t.Helper()
	if res.Code != code || strings.Count(res.Stderr, "\n") != 1 || !strings.Contains(res.Stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit %d and one line with %q", res.Code, res.Stderr, code, want)
	}
}

// claimsKeygen makes an account (or module) key with the CLI, returning the
// seed file and the public key.
func claimsKeygen(t *testing.T, dir, name, kind string) (seedFile, pub string) {
	t.Helper()
	seedFile = filepath.Join(dir, name)
	res := runCLI(t, nil, "claims", "keygen", "--type", kind, "--out", seedFile)
	if res.Code != 0 {
		t.Fatalf("keygen: %+v", res)
	}
	return seedFile, strings.TrimSpace(res.Stdout)
}

// claimsCopy copies src into dir and returns the copy's path.
func claimsCopy(t *testing.T, src, dir string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func claimsHelloPath(t *testing.T) string {
	return testguest.Path(t, "../../examples/hello/hello.wasm")
}

// TestClaimsKeygen: seeds go to a new 0600 file only, never overwritten
// and never printed unless asked; the public key is printed.
func TestClaimsKeygen(t *testing.T) {
	dir := t.TempDir()
	seedFile, pub := claimsKeygen(t, dir, "account.nk", "account")
	fi, err := os.Stat(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := os.ReadFile(seedFile)
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := kp.PublicKey(); got != pub || !nkeys.IsValidPublicAccountKey(pub) || fi.Mode().Perm() != 0o600 {
		t.Errorf("public %s (seed's %s), mode %v", pub, got, fi.Mode().Perm())
	}
	again := runCLI(t, nil, "claims", "keygen", "--out", seedFile)
	claimsOneLine(t, again, 2, "the file exists; a seed is never overwritten")
	if after, _ := os.ReadFile(seedFile); string(after) != string(seed) {
		t.Error("the seed file changed")
	}
	_, mod := claimsKeygen(t, dir, "module.nk", "module")
	if !claims.IsModuleKey(mod) {
		t.Errorf("module key %q", mod)
	}
	ms, _ := os.ReadFile(filepath.Join(dir, "module.nk"))
	if p, err := claims.ModulePublicKey([]byte(strings.TrimSpace(string(ms)))); err != nil || p != mod {
		t.Errorf("module seed's key %s (%v), printed %s", p, err, mod)
	}
	printed := runCLI(t, nil, "claims", "keygen", "--print-seed")
	lines := strings.Fields(printed.Stdout)
	if printed.Code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "A") || !strings.HasPrefix(lines[1], "SA") {
		t.Errorf("--print-seed: %+v", printed)
	}
	for _, args := range [][]string{{"claims", "keygen"}, {"claims", "keygen", "--type", "user", "--print-seed"}, {"claims"}} {
		res := runCLI(t, nil, args...)
		if res.Code != 2 || strings.Count(res.Stderr, "\n") != 1 || strings.Contains(res.Stdout, "S") {
			t.Errorf("%v: %+v", args, res)
		}
	}
	for _, r := range []cliResult{again} {
		if strings.Contains(r.Stdout+r.Stderr, string(seed[:10])) {
			t.Error("a seed was printed")
		}
	}
}

// TestClaimsSignInspectVerify: sign in place with every field, inspect
// (text and JSON) shows them, verify passes and checks the trusted issuer,
// and re-signing replaces the issuer but keeps the subject.
func TestClaimsSignInspectVerify(t *testing.T) {
	dir := t.TempDir()
	acct, pub := claimsKeygen(t, dir, "account.nk", "account")
	acct2, pub2 := claimsKeygen(t, dir, "account2.nk", "account")
	mod := claimsCopy(t, claimsHelloPath(t), dir)

	res := runCLI(t, nil, "claims", "sign", mod, "--issuer", acct, "--cap", "keyvalue", "--cap", "wasmcloud:httpclient",
		"--name", "greeter", "--ver", "1.2.0", "--rev", "3", "--tag", "a", "--tag", "b", "--expires", "30d")
	if res.Code != 0 || !strings.Contains(res.Stdout, "signed "+mod+": issuer "+pub) || !strings.Contains(res.Stdout, "(a new module key)") {
		t.Fatalf("sign: %+v", res)
	}
	ins := runCLI(t, nil, "claims", "inspect", mod)
	for _, want := range []string{"greeter", pub + " (account key)", "(module key)", "keyvalue, wasmcloud:httpclient (http)", "a, b", "1.2.0 (rev 3)", "(matches the module)", "verified     yes"} {
		if !strings.Contains(ins.Stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, ins.Stdout)
		}
	}
	js := runCLI(t, nil, "claims", "inspect", "--json", mod)
	var r struct {
		Claims struct {
			Iss    string `json:"iss"`
			Sub    string `json:"sub"`
			Exp    int64  `json:"exp"`
			Wascap struct {
				Name string   `json:"name"`
				Caps []string `json:"caps"`
				Hash string   `json:"hash"`
			} `json:"wascap"`
		} `json:"claims"`
		Capabilities []string `json:"capabilities"`
		Hash         string   `json:"hash"`
		Verified     bool     `json:"verified"`
	}
	if err := json.Unmarshal([]byte(js.Stdout), &r); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, js.Stdout)
	}
	if r.Claims.Iss != pub || r.Claims.Wascap.Name != "greeter" || r.Claims.Wascap.Hash != r.Hash || !r.Verified ||
		!slices.Equal(r.Capabilities, []string{"keyvalue", "http"}) || time.Until(time.Unix(r.Claims.Exp, 0)) < 29*24*time.Hour {
		t.Errorf("inspect --json: %+v", r)
	}
	subject := r.Claims.Sub

	if v := runCLI(t, nil, "claims", "verify", mod, "--trusted-issuer", pub); v.Code != 0 || !strings.Contains(v.Stdout, "verified: greeter, signed by "+pub) {
		t.Errorf("verify: %+v", v)
	}
	claimsOneLine(t, runCLI(t, nil, "claims", "verify", mod, "--trusted-issuer", pub2), 2, "claims: untrusted issuer: signed by "+pub)
	claimsOneLine(t, runCLI(t, nil, "claims", "verify", mod, "--trusted-issuer", subject), 2, "not an account public key")

	// Re-sign with another account to another file: one token, the new
	// issuer, the same subject.
	out := filepath.Join(dir, "resigned.wasm")
	res = runCLI(t, nil, "claims", "sign", mod, "--issuer", acct2, "-o", out)
	if res.Code != 0 || !strings.Contains(res.Stdout, subject+" (kept from the old claims)") {
		t.Fatalf("re-sign: %+v", res)
	}
	if v := runCLI(t, nil, "claims", "verify", out, "--trusted-issuer", pub2); v.Code != 0 {
		t.Errorf("re-signed: %+v", v)
	}
	claimsOneLine(t, runCLI(t, nil, "claims", "verify", out, "--trusted-issuer", pub), 2, "untrusted issuer")
	b, _ := os.ReadFile(out)
	m, err := wasmbin.ParseModule(b)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cs := range m.CustomSections {
		if cs.Name == "wasmcloud_jwt" || cs.Name == "jwt" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d claims sections after re-signing", n)
	}
	// --subject names the module with a key of one's own.
	modSeed, modPub := claimsKeygen(t, dir, "hello.module.nk", "module")
	res = runCLI(t, nil, "claims", "sign", out, "--issuer", acct, "--subject", modSeed)
	if res.Code != 0 || !strings.Contains(res.Stdout, "subject "+modPub+",") {
		t.Errorf("--subject: %+v", res)
	}
	// The signed module still runs.
	if run := runCLI(t, nil, "run", mod); run.Code != 0 || !strings.Contains(run.Stdout, "Hello") {
		t.Errorf("run of the signed module: %+v", run)
	}
}

// claimsTamper returns a copy of the module at path with one byte flipped where
// pick says (given the parsed module), written to dir/name.
func claimsTamper(t *testing.T, path, dir, name string, pick func(b []byte, m *wasmbin.Module) int) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wasmbin.ParseModule(b)
	if err != nil {
		t.Fatal(err)
	}
	b[pick(b, m)] ^= 0x01
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func claimsInCode(b []byte, m *wasmbin.Module) int {
	for i, s := range m.Sections {
		if s.ID == wasmbin.SectionCode {
			end := len(b)
			if i+1 < len(m.Sections) {
				end = m.Sections[i+1].Offset
			}
			return end - 2
		}
	}
	panic("no code section")
}

func claimsInCustom(name string) func(b []byte, m *wasmbin.Module) int {
	return func(b []byte, m *wasmbin.Module) int {
		for _, cs := range m.CustomSections {
			if cs.Name == name {
				return cs.Offset + cs.Size/2
			}
		}
		panic("no custom section " + name)
	}
}

// claimsInSignature is a byte in the middle of the token's signature: a base64url
// character (flipping its low bit keeps it one, but for 'A'-'Z' edge cases
// handled below).
func claimsInSignature(b []byte, m *wasmbin.Module) int {
	for _, cs := range m.CustomSections {
		if cs.Name == "wasmcloud_jwt" {
			tok := b[cs.Offset : cs.Offset+cs.Size]
			at := cs.Offset + strings.LastIndex(string(tok), ".") + 20
			if c := b[at] ^ 1; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				at++
			}
			return at
		}
	}
	panic("no token")
}

// TestClaimsTamper: any changed byte (code, another custom section, the
// token) fails verification with one line naming what failed, in
// claims verify and in run (exit 2), with no policy flag.
func TestClaimsTamper(t *testing.T) {
	dir := t.TempDir()
	acct, _ := claimsKeygen(t, dir, "account.nk", "account")
	mod := claimsCopy(t, claimsHelloPath(t), dir)
	if res := runCLI(t, nil, "claims", "sign", mod, "--issuer", acct); res.Code != 0 {
		t.Fatal(res)
	}
	cases := []struct {
		name, want string
		pick       func([]byte, *wasmbin.Module) int
	}{
		{"code.wasm", "claims: hash mismatch: the module was changed after", claimsInCode},
		{"name.wasm", "claims: hash mismatch", claimsInCustom("name")},
		{"producers.wasm", "claims: hash mismatch", claimsInCustom("producers")},
		{"signature.wasm", "claims: bad signature: the token is not signed by its issuer", claimsInSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := claimsTamper(t, mod, dir, c.name, c.pick)
			claimsOneLine(t, runCLI(t, nil, "claims", "verify", bad), 2, bad+": "+c.want)
			claimsOneLine(t, runCLI(t, nil, "run", bad), 2, "load "+c.name+": "+c.want)
			ins := runCLI(t, nil, "claims", "inspect", bad)
			if ins.Code != 0 || !strings.Contains(ins.Stdout, "verified     no: "+c.want) {
				t.Errorf("inspect: %+v", ins)
			}
		})
	}
}

// TestClaimsTimes: claims not yet valid or expired are refused by verify
// and run.
func TestClaimsTimes(t *testing.T) {
	dir := t.TempDir()
	acct, _ := claimsKeygen(t, dir, "account.nk", "account")
	early := claimsCopy(t, claimsHelloPath(t), dir)
	if res := runCLI(t, nil, "claims", "sign", early, "--issuer", acct, "--not-before", "1h", "--expires", "2h"); res.Code != 0 {
		t.Fatal(res)
	}
	claimsOneLine(t, runCLI(t, nil, "claims", "verify", early), 2, "claims: not yet valid: the claims signed by")
	claimsOneLine(t, runCLI(t, nil, "run", early), 2, "not yet valid")

	// Expired: signed through the Go API an hour in the past.
	kp, _ := nkeys.CreateAccount()
	_, module, _ := claims.GenerateModuleKey()
	wasm, _ := os.ReadFile(claimsHelloPath(t))
	signed, err := claims.Sign(wasm, claims.Claims{IssuedAt: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)}, kp, module)
	if err != nil {
		t.Fatal(err)
	}
	expired := filepath.Join(dir, "expired.wasm")
	os.WriteFile(expired, signed, 0o644)
	claimsOneLine(t, runCLI(t, nil, "claims", "verify", expired), 2, "claims: expired: the claims signed by")
	claimsOneLine(t, runCLI(t, nil, "run", expired), 2, "load expired.wasm: claims: expired")

	for _, args := range [][]string{
		{"--expires", "0s"}, {"--expires", "soon"}, {"--not-before", "-1h"}, {"--expires", "1h", "--not-before", "2h"},
	} {
		res := runCLI(t, nil, append([]string{"claims", "sign", early, "--issuer", acct}, args...)...)
		if res.Code != 2 || strings.Count(res.Stderr, "\n") != 1 {
			t.Errorf("sign %v: %+v", args, res)
		}
	}
}

// TestClaimsBadInput: wrong key types, missing files, non-wasm, unsigned
// modules: exit 2, one line.
func TestClaimsBadInput(t *testing.T) {
	dir := t.TempDir()
	acct, _ := claimsKeygen(t, dir, "account.nk", "account")
	modSeed, _ := claimsKeygen(t, dir, "module.nk", "module")
	mod := claimsCopy(t, claimsHelloPath(t), dir)
	notWasm := filepath.Join(dir, "x.wasm")
	os.WriteFile(notWasm, []byte("hello"), 0o644)
	open := filepath.Join(dir, "open.nk")
	seed, _ := os.ReadFile(acct)
	os.WriteFile(open, seed, 0o644)

	cases := []struct {
		args []string
		want string
	}{
		{[]string{"claims", "sign", mod, "--issuer", modSeed}, "that is a module seed; the issuer must be an account seed"},
		{[]string{"claims", "sign", mod, "--issuer", acct, "--subject", acct}, "--subject " + acct + ": not a module seed"},
		{[]string{"claims", "sign", mod}, "--issuer SEEDFILE is required"},
		{[]string{"claims", "sign", mod, "--issuer", filepath.Join(dir, "none.nk")}, "no such file"},
		{[]string{"claims", "sign", notWasm, "--issuer", acct}, "claims: malformed module: not a WebAssembly module"},
		{[]string{"claims", "verify", filepath.Join(dir, "none.wasm")}, "none.wasm: no such file"},
		{[]string{"claims", "verify", notWasm}, "claims: malformed module"},
		{[]string{"claims", "verify", mod}, mod + ": claims: no claims: the module carries no signed claims"},
		{[]string{"claims", "inspect", notWasm}, "claims: malformed module"},
		{[]string{"claims", "verify", mod, "--trusted-issuer", strings.TrimSpace(string(seed))}, "that is a seed, a private key"},
	}
	for _, c := range cases {
		res := runCLI(t, nil, c.args...)
		claimsOneLine(t, res, 2, c.want)
		if strings.Contains(res.Stderr, strings.TrimSpace(string(seed))) {
			t.Errorf("%v: the seed was printed", c.args)
		}
	}
	// An unsigned module is inspected without error.
	if ins := runCLI(t, nil, "claims", "inspect", mod); ins.Code != 0 || !strings.Contains(ins.Stdout, "no signed claims") {
		t.Errorf("inspect unsigned: %+v", ins)
	}
	// A seed file others can read works, with a warning.
	res := runCLI(t, nil, "claims", "sign", mod, "--issuer", open)
	if res.Code != 0 || !strings.Contains(res.Stderr, "is readable by others (mode 0644)") {
		t.Errorf("open seed file: %+v", res)
	}
}

// TestClaimsWascapFixture: a module signed by the wascap crate (as wash
// signs) verifies and runs, and its issuer can be trusted.
func TestClaimsWascapFixture(t *testing.T) {
	mod := filepath.Join(testguest.Root(t), "claims", "testdata", "hello.wascap.wasm")
	acct, err := os.ReadFile(strings.TrimSuffix(mod, ".wasm") + ".account")
	if err != nil {
		t.Fatal(err)
	}
	pub := strings.TrimSpace(string(acct))
	if v := runCLI(t, nil, "claims", "verify", mod, "--trusted-issuer", pub); v.Code != 0 {
		t.Errorf("verify: %+v", v)
	}
	if run := runCLI(t, nil, "run", "--require-claims", "--trusted-issuer", pub, mod); run.Code != 0 || !strings.Contains(run.Stdout, "Hello") {
		t.Errorf("run: %+v", run)
	}
}

// TestClaimsRunPolicy: run's claims policy flags and the grants the
// claims allow.
func TestClaimsRunPolicy(t *testing.T) {
	dir := t.TempDir()
	acct, pub := claimsKeygen(t, dir, "account.nk", "account")
	_, other := claimsKeygen(t, dir, "other.nk", "account")
	mod := claimsCopy(t, claimsHelloPath(t), dir)
	unsigned := claimsHelloPath(t)
	if res := runCLI(t, nil, "claims", "sign", mod, "--issuer", acct, "--cap", "wasmcloud:httpclient"); res.Code != 0 {
		t.Fatal(res)
	}
	claimsOneLine(t, runCLI(t, nil, "run", "--require-claims", unsigned), 2, "no signed claims and the host requires them")
	claimsOneLine(t, runCLI(t, nil, "run", "--trusted-issuer", other, mod), 2, "claims: untrusted issuer: signed by "+pub)
	claimsOneLine(t, runCLI(t, nil, "run", "--grant", "keyvalue", mod), 2,
		"component hello is granted keyvalue, but its claims (signed by "+pub+") ask only for http")
	for _, args := range [][]string{
		{"run", "--require-claims", "--trusted-issuer", pub, "--grant", "http:allow=example.com", mod},
		{"run", mod},
		{"run", "--grant", "keyvalue", unsigned},
	} {
		if res := runCLI(t, nil, args...); res.Code != 0 {
			t.Errorf("%v: %+v", args, res)
		}
	}
}

// TestClaimsUp: `up` verifies every component's claims under the
// manifest's policy: a signed module serves; a tampered, untrusted,
// unsigned-but-required or over-granted one stops up with exit 2.
func TestClaimsUp(t *testing.T) {
	dir := t.TempDir()
	acct, pub := claimsKeygen(t, dir, "account.nk", "account")
	_, other := claimsKeygen(t, dir, "other.nk", "account")
	src := filepath.Join(testguest.Root(t), "examples", "kvcounter", "kvcounter.wasm")
	signed := claimsCopy(t, src, dir)
	if res := runCLI(t, nil, "claims", "sign", signed, "--issuer", acct, "--cap", "keyvalue", "--name", "counter"); res.Code != 0 {
		t.Fatal(res)
	}
	httpOnly := filepath.Join(dir, "httponly.wasm")
	if res := runCLI(t, nil, "claims", "sign", signed, "--issuer", acct, "--cap", "http", "-o", httpOnly); res.Code != 0 {
		t.Fatal(res)
	}
	tampered := claimsTamper(t, signed, dir, "tampered.wasm", claimsInCode)
	unsigned := claimsCopy(t, src, t.TempDir())
	manifest := func(name, module string, require bool, trusted string) string {
		p := filepath.Join(dir, name+".yaml")
		y := fmt.Sprintf("version: 1\nname: %s\nclaims:\n  require: %v\n  trusted_issuers: [%s]\nhttp:\n  routes:\n    - path: /\n      component: counter\ncomponents:\n  counter:\n    module: %s\n    grants:\n      keyvalue: {}\n",
			name, require, trusted, module)
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	up := func(m string) cliResult {
		return runCLI(t, nil, "up", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), m)
	}
	claimsOneLine(t, up(manifest("tampered", tampered, false, "")), 2, "claims: hash mismatch")
	claimsOneLine(t, up(manifest("untrusted", signed, true, other)), 2, "claims: untrusted issuer: signed by "+pub)
	claimsOneLine(t, up(manifest("unsigned", unsigned, true, "")), 2, "no signed claims and the host requires them")
	claimsOneLine(t, up(manifest("overgranted", httpOnly, false, "")), 2, "component counter is granted keyvalue, but its claims")

	p := startUp(t, nil, "--data-dir", t.TempDir(), manifest("good", signed, true, pub))
	resp, err := testClient.Get(p.url + "/hits")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !regexp.MustCompile(`"counter":\s*1`).Match(body) {
		t.Errorf("GET /hits: %d %s", resp.StatusCode, body)
	}
	p.stopped(t)
}
