package compat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive/claims"
)

// The wascap side of these tests is compat/wascap, a small Rust program on
// the wascap crate (0.15, as wash and wasmCloud 1.x; 0.13 with --legacy,
// the last with capabilities). It is built once per run with cargo into a
// cache directory ($WASMHIVE_WASCAP_TARGET, else ~/.cache/wasmhive/
// wascap-compat-target); without cargo the tests fail. A first build takes
// minutes: build it ahead (compat/wascap/README.md) or give go test a
// -timeout to match.

var (
	wascapOnce sync.Once
	wascapBin  string
	wascapErr  error
)

// findCargo looks for cargo where rustup installs it ($CARGO_HOME/bin,
// ~/.cargo/bin), then on PATH: Debian's cargo, which may come first on PATH,
// is too old for the crates' lock file.
func findCargo() (string, error) {
	var dirs []string
	if h := os.Getenv("CARGO_HOME"); h != "" {
		dirs = append(dirs, filepath.Join(h, "bin"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(h, ".cargo", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "cargo")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("cargo"); err == nil {
		return p, nil
	}
	return "", errors.New("cargo not found in ~/.cargo/bin or on PATH: the wascap compatibility tests need Rust's cargo (rustup's stable toolchain) to build compat/wascap")
}

// wascapTool returns the path of the built compat/wascap binary.
func wascapTool(t *testing.T) string {
	t.Helper()
	wascapOnce.Do(func() {
		cargo, err := findCargo()
		if err != nil {
			wascapErr = err
			return
		}
		target := os.Getenv("WASMHIVE_WASCAP_TARGET")
		if target == "" {
			cache, err := os.UserCacheDir()
			if err != nil {
				cache = os.TempDir()
			}
			target = filepath.Join(cache, "wasmhive", "wascap-compat-target")
		}
		_, file, _, _ := runtime.Caller(0)
		manifest := filepath.Join(filepath.Dir(file), "wascap", "Cargo.toml")
		build := func(extra ...string) ([]byte, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			args := append([]string{"build", "--release", "--locked", "--quiet", "--manifest-path", manifest, "--target-dir", target}, extra...)
			return exec.CommandContext(ctx, cargo, args...).CombinedOutput()
		}
		start := time.Now()
		if out, err := build("--offline"); err != nil {
			// Not every crate in cargo's cache: fetch them.
			if out2, err2 := build(); err2 != nil {
				wascapErr = errors.New("cargo build compat/wascap: " + err2.Error() + "\n" + string(out) + string(out2))
				return
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Logf("built compat/wascap in %s", d.Round(time.Second))
		}
		wascapBin = filepath.Join(target, "release", "wascap-compat")
	})
	if wascapErr != nil {
		t.Fatal(wascapErr)
	}
	return wascapBin
}

// wascapResult is what compat/wascap printed: verify's, sign's, hash's or
// pubkey's fields.
type wascapResult struct {
	OK             bool     `json:"ok"`
	Error          string   `json:"error"`
	SignatureValid bool     `json:"signature_valid"`
	Expired        bool     `json:"expired"`
	CannotUseYet   bool     `json:"cannot_use_yet"`
	Issuer         string   `json:"issuer"`
	IssuerType     string   `json:"issuer_type"`
	Subject        string   `json:"subject"`
	SubjectType    string   `json:"subject_type"`
	Name           string   `json:"name"`
	Hash           string   `json:"hash"`
	Tags           []string `json:"tags"`
	Caps           []string `json:"caps"`
	Rev            *int32   `json:"rev"`
	Ver            string   `json:"ver"`
	Expires        *int64   `json:"expires"`
	NotBefore      *int64   `json:"not_before"`
	Public         string   `json:"public"`
	Type           string   `json:"type"`
}

// wascap runs compat/wascap with args; exit status 1 (a failed
// verification) is a result, anything else an error.
func wascap(t *testing.T, args ...string) wascapResult {
	t.Helper()
	cmd := exec.Command(wascapTool(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		t.Fatalf("wascap-compat %v: %v\n%s", args, err, errb.String())
	}
	var r wascapResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("wascap-compat %v: %v: %q", args, err, out.String())
	}
	return r
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Binary builders.

func uleb(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func wsec(id byte, content []byte) []byte {
	return append(uleb([]byte{id}, uint64(len(content))), content...)
}

// wpadded is a section whose size is a 5-byte LEB128, as some linkers
// write it.
func wpadded(id byte, content []byte) []byte {
	n := uint32(len(content))
	return append([]byte{id, byte(n) | 0x80, byte(n>>7) | 0x80, byte(n>>14) | 0x80, byte(n>>21) | 0x80, byte(n >> 28)}, content...)
}

func wcustom(name string, data []byte) []byte {
	return wsec(0, append(append(uleb(nil, uint64(len(name))), name...), data...))
}

var (
	coreHeader = []byte("\x00asm\x01\x00\x00\x00")
	compHeader = []byte("\x00asm\x0d\x00\x01\x00")
)

// coreModule is a small valid module (one exported function) with custom
// sections, the type section's size padded.
func coreModule() []byte {
	return slices.Concat(coreHeader,
		wpadded(1, []byte{0x01, 0x60, 0x00, 0x01, 0x7f}),
		wsec(3, []byte{0x01, 0x00}),
		wsec(7, []byte{0x01, 0x03, 'r', 'u', 'n', 0x00, 0x00}),
		wcustom("jwt", []byte("a legacy section, left out of the hash")),
		wsec(10, []byte{0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b}),
		wcustom("note", []byte("custom")),
	)
}

// component nests coreModule (with a token section of its own) and a
// component, with padded sizes.
func component() []byte {
	inner := slices.Concat(coreModule(), wcustom("wasmcloud_jwt", []byte("nested token")))
	nested := slices.Concat(compHeader, wcustom("inner", []byte("x")))
	return slices.Concat(compHeader, wcustom("top", []byte("y")), wpadded(1, inner), wsec(4, nested))
}

type goSigner struct {
	kp            nkeys.KeyPair
	pub, module   string
	moduleSeed    []byte
	accountSeedIn string // a seed file, for the wascap side
}

func newGoSigner(t *testing.T) goSigner {
	t.Helper()
	kp, err := nkeys.CreateAccount()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, module, err := claims.GenerateModuleKey()
	if err != nil {
		t.Fatal(err)
	}
	aseed, _ := kp.Seed()
	return goSigner{kp: kp, pub: pub, module: module, moduleSeed: seed, accountSeedIn: writeTemp(t, "account.nk", aseed)}
}

func (s goSigner) sign(t *testing.T, wasm []byte, c claims.Claims) []byte {
	t.Helper()
	out, err := claims.Sign(wasm, c, s.kp, s.module)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hello(t *testing.T) []byte { return readFile(t, "../examples/hello/hello.wasm") }

// TestWascapHash: wascap computes the same module hash as wasmhive for a C
// command, a Go reactor, a module with padded sizes and a legacy jwt
// section, and a component with nested modules and token sections.
func TestWascapHash(t *testing.T) {
	for name, wasm := range map[string][]byte{
		"hello":     hello(t),
		"kvcounter": readFile(t, "../examples/kvcounter/kvcounter.wasm"),
		"module":    coreModule(),
		"component": component(),
	} {
		want, err := claims.Hash(wasm)
		if err != nil {
			t.Fatal(err)
		}
		if got := wascap(t, "hash", writeTemp(t, name+".wasm", wasm)); got.Hash != want {
			t.Errorf("%s: wascap's hash %s, wasmhive's %s", name, got.Hash, want)
		}
	}
}

// TestWascapVerifiesWasmhive: modules and components signed (and
// re-signed) by wasmhive pass wascap's extract_claims and validate_token;
// wascap reads every field, and refuses what wasmhive refuses.
func TestWascapVerifiesWasmhive(t *testing.T) {
	s := newGoSigner(t)
	now := time.Now().Truncate(time.Second)
	c := claims.Claims{
		Name: "hello", Tags: []string{"a"}, Caps: []string{"wasmcloud:keyvalue", "http"}, Rev: 4, Ver: "0.4.0",
		IssuedAt: now, Expires: now.Add(24 * time.Hour),
	}
	for name, wasm := range map[string][]byte{"hello": hello(t), "module": coreModule(), "component": component()} {
		t.Run(name, func(t *testing.T) {
			signed := s.sign(t, wasm, c)
			path := writeTemp(t, name+".wasm", signed)
			h, _ := claims.Hash(wasm)
			r := wascap(t, "verify", path)
			if !r.OK || r.Issuer != s.pub || r.IssuerType != "Account" || r.Subject != s.module || r.SubjectType != "Module" ||
				r.Name != "hello" || r.Hash != h || !slices.Equal(r.Tags, c.Tags) || r.Ver != "0.4.0" || r.Rev == nil || *r.Rev != 4 ||
				r.Expires == nil || *r.Expires != c.Expires.Unix() {
				t.Errorf("wascap 0.15: %+v", r)
			}
			if r := wascap(t, "verify", "--legacy", path); !r.OK || !slices.Equal(r.Caps, c.Caps) {
				t.Errorf("wascap 0.13: %+v", r)
			}
			// Re-signed by another account: wascap sees only the new claims.
			s2 := newGoSigner(t)
			resigned := s2.sign(t, signed, claims.Claims{Name: "again"})
			if r := wascap(t, "verify", writeTemp(t, "re.wasm", resigned)); !r.OK || r.Issuer != s2.pub || r.Name != "again" {
				t.Errorf("re-signed: %+v", r)
			}
			// Tampered: wascap refuses it too.
			bad := slices.Clone(signed)
			bad[len(wasm)/2] ^= 1
			if r := wascap(t, "verify", writeTemp(t, "bad.wasm", bad)); r.OK || !strings.Contains(r.Error, "hash") {
				t.Errorf("tampered: %+v", r)
			}
		})
	}
	expired := s.sign(t, hello(t), claims.Claims{IssuedAt: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)})
	if r := wascap(t, "verify", writeTemp(t, "expired.wasm", expired)); r.OK || !r.Expired || !r.SignatureValid {
		t.Errorf("expired: %+v", r)
	}
	early := s.sign(t, hello(t), claims.Claims{NotBefore: now.Add(time.Hour)})
	if r := wascap(t, "verify", writeTemp(t, "early.wasm", early)); r.OK || !r.CannotUseYet || !r.SignatureValid {
		t.Errorf("not yet valid: %+v", r)
	}
}

// TestWasmhiveVerifiesWascap: modules and components signed by wascap (as
// wash signs them) verify in wasmhive, with their fields; wasmhive can
// re-sign them and wascap can re-sign wasmhive's.
func TestWasmhiveVerifiesWascap(t *testing.T) {
	s := newGoSigner(t)
	moduleSeed := writeTemp(t, "module.nk", s.moduleSeed)
	for name, wasm := range map[string][]byte{"hello": hello(t), "module": coreModule(), "component": component()} {
		t.Run(name, func(t *testing.T) {
			in := writeTemp(t, name+".wasm", wasm)
			out := filepath.Join(t.TempDir(), "signed.wasm")
			r := wascap(t, "sign", "--issuer-seed", s.accountSeedIn, "--subject-seed", moduleSeed, "--name", name,
				"--tag", "t1", "--ver", "1.0.0", "--rev", "2", "--expires-days", "3", in, out)
			if r.Issuer != s.pub || r.Subject != s.module {
				t.Fatalf("wascap read the seeds as %s, %s; want %s, %s", r.Issuer, r.Subject, s.pub, s.module)
			}
			c, err := claims.Verify(readFile(t, out), claims.VerifyOptions{TrustedIssuers: []string{s.pub}})
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != name || c.Subject != s.module || !slices.Equal(c.Tags, []string{"t1"}) || c.Ver != "1.0.0" || c.Rev != 2 ||
				c.Caps != nil || time.Until(c.Expires) < 71*time.Hour || c.Revision != claims.Revision {
				t.Errorf("claims %+v", c)
			}
			legacyOut := filepath.Join(t.TempDir(), "legacy.wasm")
			wascap(t, "sign", "--legacy", "--issuer-seed", s.accountSeedIn, "--cap", "wasmcloud:messaging", "--cap", "wasmcloud:httpserver", in, legacyOut)
			if c, err := claims.Verify(readFile(t, legacyOut), claims.VerifyOptions{}); err != nil || !slices.Equal(c.Caps, []string{"wasmcloud:messaging", "wasmcloud:httpserver"}) {
				t.Errorf("legacy: %+v, %v", c, err)
			}
			// wascap re-signs wasmhive's signed module; wasmhive re-signs wascap's.
			ours := writeTemp(t, "ours.wasm", s.sign(t, wasm, claims.Claims{Name: "ours"}))
			theirs := filepath.Join(t.TempDir(), "theirs.wasm")
			wascap(t, "sign", "--name", "theirs", ours, theirs)
			if c, err := claims.Verify(readFile(t, theirs), claims.VerifyOptions{}); err != nil || c.Name != "theirs" {
				t.Errorf("wascap re-signed wasmhive's: %+v, %v", c, err)
			}
			back := s.sign(t, readFile(t, theirs), claims.Claims{Name: "back"})
			if r := wascap(t, "verify", writeTemp(t, "back.wasm", back)); !r.OK || r.Name != "back" {
				t.Errorf("wasmhive re-signed wascap's: %+v", r)
			}
			// Signing is byte-for-byte wascap's but for the token.
			if tokenless(t, back) == nil || !bytes.Equal(tokenless(t, back), tokenless(t, readFile(t, out))) {
				t.Error("wasmhive's signed bytes differ from wascap's outside the token")
			}
		})
	}
}

// tokenless is a signed binary without its trailing token section (both
// signers append it last).
func tokenless(t *testing.T, signed []byte) []byte {
	t.Helper()
	tok, err := claims.Extract(signed)
	if err != nil || tok == nil {
		t.Fatalf("no token: %v", err)
	}
	i := bytes.LastIndex(signed, []byte(tok.JWT))
	// section id 0, size, name length 13, "wasmcloud_jwt", then the token.
	j := bytes.LastIndex(signed[:i], []byte("\x0dwasmcloud_jwt"))
	if j < 0 || i+len(tok.JWT) != len(signed) {
		t.Fatal("the token is not the last section")
	}
	for k := j - 1; k >= 0; k-- {
		if signed[k] == 0 {
			return signed[:k]
		}
	}
	return nil
}

// TestWascapModuleKeys: module keys made by wasmhive are module keys to
// the Rust nkeys crate, with the same public key.
func TestWascapModuleKeys(t *testing.T) {
	seed, pub, err := claims.GenerateModuleKey()
	if err != nil {
		t.Fatal(err)
	}
	if r := wascap(t, "pubkey", writeTemp(t, "m.nk", seed)); r.Public != pub || r.Type != "Module" {
		t.Errorf("Rust nkeys reads the module seed as %s (%s), want %s", r.Public, r.Type, pub)
	}
}
