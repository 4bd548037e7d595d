package wasmhive

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nkeys"

	"github.com/wasmhive/wasmhive/capability"
	"github.com/wasmhive/wasmhive/claims"
)

// ClaimsError is matched (errors.As) by a module refused for its signed
// claims: the *claims.Error says why (hash mismatch, bad signature,
// expired, not yet valid, untrusted issuer, no claims where the host
// requires them, ...).
type ClaimsError = claims.Error

// ClaimsGrantError reports a component granted a capability its module's
// signed claims do not ask for: what a component may use is what its claims
// ask for intersected with what the operator grants.
type ClaimsGrantError struct {
	Component  string
	Capability string   // the grant, one of capability.Names
	Issuer     string   // who signed the claims
	Asked      []string // the capabilities the claims ask for, as wasmhive names them
	Caps       []string // the claims' caps as written
}

func (e *ClaimsGrantError) Error() string {
	asked := "no capability"
	if len(e.Asked) > 0 {
		asked = "only for " + strings.Join(e.Asked, ", ")
	}
	return fmt.Sprintf("component %s is granted %s, but its claims (signed by %s) ask %s (caps: [%s]); remove the grant or re-sign the module with --cap %s",
		e.Component, e.Capability, e.Issuer, asked, strings.Join(e.Caps, ", "), e.Capability)
}

// checkClaims applies the host's claims policy to the component's main
// module: claims it carries are verified (hash, signature, issuer and
// subject key types, validity times, the trusted issuers); a module without
// claims is refused when the policy requires them. The verified claims are
// kept on the component. When they carry a capability list (wascap before
// 0.14; wasmCloud 1.x writes none), every capability granted to the
// component must be in it; claims without a list do not restrict grants.
func (c *Component) checkClaims(wasm []byte) error {
	cl, err := c.h.verifyClaims(wasm)
	if err != nil || cl == nil {
		return err
	}
	if err := grantsWithin(c.name, c.cfg.Grants, cl); err != nil {
		return err
	}
	c.claims = cl
	return nil
}

// checkLibraryClaims applies the claims policy to a library of the
// component: it runs with the component's grants, so its claims' list,
// when they have one, must cover them too.
func (c *Component) checkLibraryClaims(name string, wasm []byte) error {
	cl, err := c.h.verifyClaims(wasm)
	if err != nil || cl == nil {
		return err
	}
	return grantsWithin(c.name+" (library "+name+")", c.cfg.Grants, cl)
}

// grantsWithin refuses a grant that claims with a capability list do not
// ask for.
func grantsWithin(component string, g Grants, cl *claims.Claims) error {
	if cl.Caps == nil {
		return nil
	}
	var asked []string
	for _, cp := range cl.Caps {
		if name, ok := claims.CapabilityOf(cp); ok && !slices.Contains(asked, name) {
			asked = append(asked, name)
		}
	}
	for _, name := range capability.Names {
		if g.Has(name) && !slices.Contains(asked, name) {
			return &ClaimsGrantError{Component: component, Capability: name, Issuer: cl.Issuer, Asked: asked, Caps: slices.Clone(cl.Caps)}
		}
	}
	return nil
}

// verifyClaims verifies wasm's claims under the host's policy; nil claims
// and no error for an unsigned module the policy lets in.
func (h *Host) verifyClaims(wasm []byte) (*claims.Claims, error) {
	pol := h.cfg.Claims
	for _, k := range pol.TrustedIssuers {
		if !nkeys.IsValidPublicAccountKey(k) {
			return nil, fmt.Errorf("claims policy: trusted issuer %q is not an account public key (A...)", k)
		}
	}
	if _, err := claims.Hash(wasm); err != nil && !pol.Require {
		// Not a binary whose sections can be walked: the engine says what
		// is wrong with it (it cannot carry claims a host could check, and
		// stripping them is always possible, so without Require nothing is
		// lost).
		return nil, nil
	}
	cl, err := claims.Verify(wasm, claims.VerifyOptions{TrustedIssuers: pol.TrustedIssuers})
	var ce *claims.Error
	if errors.As(err, &ce) && ce.Reason == claims.NoClaims {
		if !pol.Require {
			return nil, nil
		}
		return nil, &claims.Error{Reason: claims.NoClaims, Detail: "the module carries no signed claims and the host requires them (sign it with `wasmhive claims sign`)"}
	}
	return cl, err
}

// Claims returns the verified claims of the component's module, or nil
// when it carries none. The result is a copy.
func (c *Component) Claims() *claims.Claims {
	if c.claims == nil {
		return nil
	}
	cl := *c.claims
	cl.Tags = slices.Clone(cl.Tags)
	cl.Caps = slices.Clone(cl.Caps)
	return &cl
}
