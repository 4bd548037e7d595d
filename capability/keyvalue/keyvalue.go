// Package keyvalue is the keyvalue capability: the contract (Store and
// Bucket, shaped after wasi:keyvalue's store, atomics and batch interfaces),
// its providers, and the host module that serves it to guests
// (docs/capabilities.md).
//
// Providers are subpackages: boltkv (an embedded bbolt file, the default),
// natskv (JetStream KV) and rediskv (Redis). Each passes the conformance
// suite in kvtest against its real backend, so a component sees the same
// behaviour whichever one the host is configured with.
package keyvalue

import (
	"context"
	"errors"
	"fmt"
)

// Store is a keyvalue provider: it opens buckets by name. Implementations
// are safe for concurrent use.
type Store interface {
	// Open returns the bucket name, creating it if needed. A name that
	// CheckBucket refuses gives an error wrapping ErrInvalidBucket.
	Open(ctx context.Context, name string) (Bucket, error)
	// Close releases the store; buckets opened from it stop working (their
	// methods return ErrClosed).
	Close() error
}

// Bucket is one namespace of keys. All methods are safe for concurrent use.
//
// Keys are non-empty byte strings of at most MaxKeyBytes bytes; any other
// key gives an error wrapping ErrInvalidKey. Values are bytes, possibly
// empty. The batch methods are not atomic as a whole: each key is handled
// as by the single-key method.
type Bucket interface {
	// Get returns the value of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key.
	Set(ctx context.Context, key string, value []byte) error
	// Delete removes key; removing an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Exists reports whether key is set.
	Exists(ctx context.Context, key string) (bool, error)
	// ListKeys returns up to limit keys starting with prefix, in byte
	// order, after cursor ("" starts at the beginning), and the cursor to
	// pass next ("" when there are no more). The cursor is the last key
	// returned; limit below 1 means 1.
	ListKeys(ctx context.Context, prefix, cursor string, limit int) (keys []string, next string, err error)
	// Increment adds delta to the integer stored at key (absent counts as
	// 0; values are decimal ASCII) and returns the new value, atomically
	// against every other caller. A value that is not an integer gives
	// ErrNotInteger; a result outside int64 gives ErrOverflow.
	Increment(ctx context.Context, key string, delta int64) (int64, error)
	// CompareAndSwap sets key to new if its value is old, atomically; a nil
	// old means "only if key is absent". It reports whether it swapped.
	CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error)
	// GetMany returns the values of keys, in order; absent keys give nil
	// with found false.
	GetMany(ctx context.Context, keys []string) ([]Entry, error)
	// SetMany stores every entry.
	SetMany(ctx context.Context, entries []Entry) error
	// DeleteMany removes keys.
	DeleteMany(ctx context.Context, keys []string) error
}

// Entry is one key and its value, for the batch operations.
type Entry struct {
	Key   string
	Value []byte
	Found bool // GetMany: whether the key is set
}

// ErrNotFound is returned by Get for an absent key.
var ErrNotFound = errors.New("key not found")

// ErrNotInteger is returned by Increment when the stored value is not a
// decimal integer.
var ErrNotInteger = errors.New("value is not a decimal integer")

// ErrOverflow is returned by Increment when the new value would not fit in
// an int64.
var ErrOverflow = errors.New("increment would overflow int64")

// ErrInvalidKey is wrapped by the errors for keys CheckKey refuses.
var ErrInvalidKey = errors.New("invalid key")

// ErrInvalidBucket is wrapped by the errors for bucket names CheckBucket
// refuses.
var ErrInvalidBucket = errors.New("invalid bucket name")

// ErrClosed is returned by a bucket whose store was closed.
var ErrClosed = errors.New("keyvalue store is closed")

// MaxKeyBytes is the longest key every provider accepts. It keeps keys
// within what the backends allow (JetStream subjects must fit a NATS
// protocol line even after natskv escapes them).
const MaxKeyBytes = 1024

// MaxBucketBytes is the longest bucket name every provider accepts.
const MaxBucketBytes = 64

// CheckKey returns nil for a valid key: non-empty, at most MaxKeyBytes
// bytes. Otherwise its error wraps ErrInvalidKey.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("%w: %d bytes long, the limit is %d", ErrInvalidKey, len(key), MaxKeyBytes)
	}
	return nil
}

// CheckBucket returns nil for a valid bucket name: 1 to MaxBucketBytes
// ASCII letters, digits, '-' and '_' (what JetStream allows, so a name valid
// for one provider is valid for all). Otherwise its error wraps
// ErrInvalidBucket.
func CheckBucket(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidBucket)
	}
	if len(name) > MaxBucketBytes {
		return fmt.Errorf("%w: %q is %d bytes long, the limit is %d", ErrInvalidBucket, name, len(name), MaxBucketBytes)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: %q has %q at byte %d; use only letters, digits, '-' and '_'", ErrInvalidBucket, name, c, i)
		}
	}
	return nil
}
