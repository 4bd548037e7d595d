package claims

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nkeys"
)

// Alg is the "alg" of wascap's JWT header (not RFC 8037's "EdDSA").
const Alg = "Ed25519"

// SigningMethodEd25519 is wascap's signing method for golang-jwt: Ed25519
// by nkeys. Sign takes an nkeys.KeyPair with its seed, Verify one made from
// a public key (nkeys.FromPublicKey). The package registers it under Alg.
var SigningMethodEd25519 jwt.SigningMethod = signingMethod{}

type signingMethod struct{}

func (signingMethod) Alg() string { return Alg }

func (signingMethod) Sign(signingString string, key any) ([]byte, error) {
	kp, ok := key.(nkeys.KeyPair)
	if !ok {
		return nil, fmt.Errorf("%s signing needs an nkeys.KeyPair, not %T", Alg, key)
	}
	return kp.Sign([]byte(signingString))
}

func (signingMethod) Verify(signingString string, sig []byte, key any) error {
	kp, ok := key.(nkeys.KeyPair)
	if !ok {
		return fmt.Errorf("%s verification needs an nkeys.KeyPair, not %T", Alg, key)
	}
	return kp.Verify([]byte(signingString), sig)
}

func init() {
	jwt.RegisterSigningMethod(Alg, func() jwt.SigningMethod { return SigningMethodEd25519 })
}

// Module keys. wascap's subject is a module key: an nkey whose prefix byte
// (12<<3) encodes to "M", and whose seed encodes to "SM". The Go nkeys
// package does not know that prefix (it knows the NATS ones: account,
// user, server, ...), so module keys are encoded here in nkeys' format:
// base32 (no padding) of the prefix, the 32-byte Ed25519 key or seed, and a
// CRC-16 (XMODEM) little-endian. Module keys never sign anything; their
// seed only derives the public key (crypto/ed25519).
const (
	prefixModule  byte = 12 << 3 // "M..."
	prefixService byte = 21 << 3 // "V...", wascap's capability providers
	prefixSeed    byte = 18 << 3 // "S..."
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the
// checksum nkeys appends.
func crc16(data []byte) uint16 {
	var crc uint16
	for _, b := range data {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// encodeKey encodes raw (the prefix bytes and the key) with its checksum.
func encodeKey(raw []byte) string {
	raw = binary.LittleEndian.AppendUint16(raw, crc16(raw))
	return b32.EncodeToString(raw)
}

// decodeKey decodes an nkey string and checks its checksum, returning the
// bytes before the checksum.
func decodeKey(s string) ([]byte, error) {
	raw, err := b32.DecodeString(s)
	if err != nil || len(raw) < 4 {
		return nil, errors.New("not an nkey")
	}
	body, sum := raw[:len(raw)-2], binary.LittleEndian.Uint16(raw[len(raw)-2:])
	if crc16(body) != sum {
		return nil, errors.New("not an nkey (bad checksum)")
	}
	return body, nil
}

// IsModuleKey reports whether s is a module public key (M...).
func IsModuleKey(s string) bool {
	raw, err := decodeKey(s)
	return err == nil && len(raw) == 1+ed25519.PublicKeySize && raw[0] == prefixModule
}

// GenerateModuleKey makes a new module key: its seed (SM...) and public
// key (M...).
func GenerateModuleKey() (seed []byte, public string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	raw := append([]byte{prefixSeed | prefixModule>>5, (prefixModule & 31) << 3}, priv.Seed()...)
	return []byte(encodeKey(raw)), encodeKey(append([]byte{prefixModule}, pub...)), nil
}

// ModulePublicKey returns the public key (M...) of a module seed (SM...).
func ModulePublicKey(seed []byte) (string, error) {
	raw, err := decodeKey(string(seed))
	if err != nil {
		return "", errors.New("not a module seed: " + err.Error())
	}
	if len(raw) != 2+ed25519.SeedSize || raw[0]&248 != prefixSeed || (raw[0]&7)<<5|(raw[1]&248)>>3 != prefixModule {
		return "", errors.New("not a module seed (SM...)")
	}
	priv := ed25519.NewKeyFromSeed(raw[2:])
	return encodeKey(append([]byte{prefixModule}, priv.Public().(ed25519.PublicKey)...)), nil
}

// KeyKind names the kind of an nkey public key ("account", "module",
// "user", ...), or "" when s is not one.
func KeyKind(s string) string {
	raw, err := decodeKey(s)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize {
		return ""
	}
	switch raw[0] {
	case prefixModule:
		return "module"
	case prefixService:
		return "service"
	}
	if !nkeys.IsValidPublicKey(s) {
		return ""
	}
	return nkeys.Prefix(s).String()
}
