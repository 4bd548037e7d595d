package claims

// Reason is what made a module's claims fail: callers branch on it.
type Reason int

// The reasons claims fail, in the order Verify checks them.
const (
	// NoClaims: the module carries no claims section.
	NoClaims Reason = iota + 1
	// MalformedModule: the bytes are not a module or component whose
	// sections can be walked (or the claims sections are ambiguous).
	MalformedModule
	// MalformedToken: the claims section does not hold a wascap JWT.
	MalformedToken
	// WrongKeyType: the issuer is not an account key (A...) or the subject
	// is not a module key (M...).
	WrongKeyType
	// BadSignature: the token's signature is not its issuer's.
	BadSignature
	// HashMismatch: the module was changed after it was signed.
	HashMismatch
	// UntrustedIssuer: the issuer is not one of the trusted ones.
	UntrustedIssuer
	// Expired: the claims' expiry has passed.
	Expired
	// NotYetValid: the claims' not-before time has not come.
	NotYetValid
)

var reasonNames = map[Reason]string{
	NoClaims:        "no claims",
	MalformedModule: "malformed module",
	MalformedToken:  "malformed token",
	WrongKeyType:    "wrong key type",
	BadSignature:    "bad signature",
	HashMismatch:    "hash mismatch",
	UntrustedIssuer: "untrusted issuer",
	Expired:         "expired",
	NotYetValid:     "not yet valid",
}

// String is the reason in a few words, e.g. "hash mismatch".
func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return "unknown reason"
}

// Error is why a module's claims were refused (or could not be made): the
// reason, and one line of detail naming what failed.
type Error struct {
	Reason Reason
	Detail string
}

// Error is one line: "claims: REASON: DETAIL".
func (e *Error) Error() string {
	if e.Detail == "" {
		return "claims: " + e.Reason.String()
	}
	return "claims: " + e.Reason.String() + ": " + e.Detail
}

// Is makes errors.Is(err, &claims.Error{Reason: r}) match any *Error with
// reason r.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason && t.Detail == ""
}
