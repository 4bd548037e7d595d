package claims_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive/claims"
)

// Sign a module with an account key, then verify it as a host would: only
// claims by a trusted issuer, within their validity times, about exactly
// these bytes.
func Example() {
	wasm, err := os.ReadFile("../examples/hello/hello.wasm")
	if err != nil {
		panic(err)
	}
	account, _ := nkeys.CreateAccount() // its seed is what `wasmhive claims keygen` writes
	_, module, _ := claims.GenerateModuleKey()
	signed, err := claims.Sign(wasm, claims.Claims{
		Name:    "hello",
		Caps:    []string{"wasmcloud:keyvalue"},
		Expires: time.Now().Add(30 * 24 * time.Hour),
	}, account, module)
	if err != nil {
		panic(err)
	}

	issuer, _ := account.PublicKey()
	c, err := claims.Verify(signed, claims.VerifyOptions{TrustedIssuers: []string{issuer}})
	if err != nil {
		panic(err)
	}
	capName, _ := claims.CapabilityOf(c.Caps[0])
	fmt.Println(c.Name, "asks for", capName)

	signed[20] ^= 1 // any byte outside the claims section
	_, err = claims.Verify(signed, claims.VerifyOptions{TrustedIssuers: []string{issuer}})
	var ce *claims.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.Reason)
	}
	// Output:
	// hello asks for keyvalue
	// hash mismatch
}
