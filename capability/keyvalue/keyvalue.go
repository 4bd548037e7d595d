// Package keyvalue is the keyvalue capability: the contract (Store and
// Bucket, shaped after wasi:keyvalue's store, atomics and batch interfaces),
// its providers, and the host module that serves it to guests
// (docs/capabilities.md).
package keyvalue

import (
	"context"
	"errors"
)

// Store is a keyvalue provider: it opens buckets by name. Implementations
// are safe for concurrent use.
type Store interface {
	// Open returns the bucket name, creating it if needed.
	Open(ctx context.Context, name string) (Bucket, error)
	// Close releases the store; buckets opened from it stop working.
	Close() error
}

// Bucket is one namespace of keys. All methods are safe for concurrent use.
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
	// pass next ("" when there are no more).
	ListKeys(ctx context.Context, prefix, cursor string, limit int) (keys []string, next string, err error)
	// Increment adds delta to the integer stored at key (absent counts as
	// 0; values are decimal ASCII) and returns the new value, atomically
	// against every other caller. A value that is not an integer gives
	// ErrNotInteger.
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
