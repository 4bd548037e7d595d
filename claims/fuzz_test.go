package claims

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// fuzzSeeds are the in-code seeds of both fuzz targets (testdata/fuzz
// holds more): modules and components, signed and not.
func fuzzSeeds(f *testing.F) {
	k := newKeys(f)
	f.Add(testModule())
	f.Add(sign(f, testModule(), Claims{Name: "m", Caps: []string{"keyvalue"}, Expires: time.Unix(2_000_000_000, 0)}, k))
	f.Add(sign(f, testComponent(testModule()), Claims{}, k))
	if b, err := os.ReadFile("testdata/hello.wascap013.wasm"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x0e\x0dwasmcloud_jwta.b.c"))
}

// fuzzKeys is one key set for every fuzz input (making keys is not what is
// fuzzed).
var fuzzKeys struct {
	account nkeys.KeyPair
	module  string
}

// FuzzVerify: Verify never panics on any bytes, fails only with an *Error,
// and what it accepts Extract decodes the same way, with the module's hash.
func FuzzVerify(f *testing.F) {
	fuzzSeeds(f)
	now := time.Unix(1_900_000_000, 0)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Verify(data, VerifyOptions{Now: now})
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.Reason.String() == "unknown reason" {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		tok, err := Extract(data)
		if err != nil || tok == nil || !equalClaims(tok.Claims, *c) {
			t.Fatalf("verified %+v, extracted %+v (%v)", c, tok, err)
		}
		if h, err := Hash(data); err != nil || h != c.Hash {
			t.Fatalf("hash %s (%v), claimed %s", h, err, c.Hash)
		}
	})
}

// FuzzExtract: Extract and Hash never panic and fail only with an *Error;
// whatever can be hashed can be signed, and the signed module verifies with
// the same hash (stripping and re-encoding are idempotent).
func FuzzExtract(f *testing.F) {
	fuzzSeeds(f)
	if fuzzKeys.account == nil {
		k := newKeys(f)
		fuzzKeys.account, fuzzKeys.module = k.account, k.module
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Extract(data)
		var ce *Error
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("Extract error %v (%T)", err, err)
		}
		h, err := Hash(data)
		if err != nil {
			if !errors.As(err, &ce) || ce.Reason != MalformedModule {
				t.Fatalf("Hash error %v (%T)", err, err)
			}
			return
		}
		signed, err := Sign(data, Claims{}, fuzzKeys.account, fuzzKeys.module)
		if err != nil {
			t.Fatalf("Hash accepted the module but Sign did not: %v", err)
		}
		c, err := Verify(signed, VerifyOptions{})
		if err != nil {
			t.Fatalf("signed module: %v", err)
		}
		if c.Hash != h {
			t.Fatalf("signed module's hash %s, want %s", c.Hash, h)
		}
	})
}
