package main

import (
	"bytes"
	"context"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
)

// memStore is an in-memory keyvalue.Store: a map and a mutex per bucket.
// The benchmark's in-memory variant gives one to each contender, so that
// what the figures compare is the request path, not fsync. It passes the
// keyvalue conformance suite (kvcounter_test.go).
type memStore struct {
	mu      sync.Mutex
	buckets map[string]*memBucket
	closed  atomic.Bool
}

func newMemStore() *memStore { return &memStore{buckets: map[string]*memBucket{}} }

// Open returns the bucket name, creating it if needed.
func (s *memStore) Open(ctx context.Context, name string) (keyvalue.Bucket, error) {
	if err := keyvalue.CheckBucket(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, keyvalue.ErrClosed
	}
	b := s.buckets[name]
	if b == nil {
		b = &memBucket{s: s, m: map[string][]byte{}}
		s.buckets[name] = b
	}
	return b, nil
}

// Close makes every bucket return keyvalue.ErrClosed.
func (s *memStore) Close() error {
	s.closed.Store(true)
	return nil
}

// memBucket is one bucket of a memStore. Values are stored as copies and
// handed out as copies.
type memBucket struct {
	s  *memStore
	mu sync.Mutex
	m  map[string][]byte
}

var _ keyvalue.Bucket = (*memBucket)(nil)

// check refuses an invalid key, a done context and a closed store, in that
// order.
func (b *memBucket) check(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := keyvalue.CheckKey(k); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.s.closed.Load() {
		return keyvalue.ErrClosed
	}
	return nil
}

func clone(v []byte) []byte { return append([]byte{}, v...) }

func (b *memBucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := b.check(ctx, key); err != nil {
		return nil, err
	}
	b.mu.Lock()
	v, ok := b.m[key]
	b.mu.Unlock()
	if !ok {
		return nil, keyvalue.ErrNotFound
	}
	return clone(v), nil
}

func (b *memBucket) Set(ctx context.Context, key string, value []byte) error {
	if err := b.check(ctx, key); err != nil {
		return err
	}
	v := clone(value)
	b.mu.Lock()
	b.m[key] = v
	b.mu.Unlock()
	return nil
}

func (b *memBucket) Delete(ctx context.Context, key string) error {
	if err := b.check(ctx, key); err != nil {
		return err
	}
	b.mu.Lock()
	delete(b.m, key)
	b.mu.Unlock()
	return nil
}

func (b *memBucket) Exists(ctx context.Context, key string) (bool, error) {
	if err := b.check(ctx, key); err != nil {
		return false, err
	}
	b.mu.Lock()
	_, ok := b.m[key]
	b.mu.Unlock()
	return ok, nil
}

func (b *memBucket) ListKeys(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	if err := b.check(ctx); err != nil {
		return nil, "", err
	}
	limit = max(limit, 1)
	var keys []string
	b.mu.Lock()
	for k := range b.m {
		if strings.HasPrefix(k, prefix) && k > cursor {
			keys = append(keys, k)
		}
	}
	b.mu.Unlock()
	sort.Strings(keys)
	if len(keys) <= limit {
		return keys, "", nil
	}
	keys = keys[:limit]
	return keys, keys[limit-1], nil
}

// Increment follows the contract's counters: canonical decimal text of an
// int64 (as strconv.FormatInt writes it), absent counting as 0.
func (b *memBucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	if err := b.check(ctx, key); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var v int64
	if old, ok := b.m[key]; ok {
		n, err := strconv.ParseInt(string(old), 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != string(old) {
			return 0, keyvalue.ErrNotInteger
		}
		v = n
	}
	s, _ := bits.Add64(uint64(v), uint64(delta), 0)
	n := int64(s)
	if (v >= 0) == (delta >= 0) && (n >= 0) != (v >= 0) {
		return 0, keyvalue.ErrOverflow
	}
	b.m[key] = strconv.AppendInt(nil, n, 10)
	return n, nil
}

func (b *memBucket) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	if err := b.check(ctx, key); err != nil {
		return false, err
	}
	v := clone(new)
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.m[key]
	if old == nil && ok || old != nil && (!ok || !bytes.Equal(cur, old)) {
		return false, nil
	}
	b.m[key] = v
	return true, nil
}

func (b *memBucket) GetMany(ctx context.Context, keys []string) ([]keyvalue.Entry, error) {
	if err := b.check(ctx, keys...); err != nil {
		return nil, err
	}
	out := make([]keyvalue.Entry, len(keys))
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, k := range keys {
		out[i].Key = k
		if v, ok := b.m[k]; ok {
			out[i].Value, out[i].Found = clone(v), true
		}
	}
	return out, nil
}

func (b *memBucket) SetMany(ctx context.Context, entries []keyvalue.Entry) error {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
	}
	if err := b.check(ctx, keys...); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range entries {
		b.m[e.Key] = clone(e.Value)
	}
	return nil
}

func (b *memBucket) DeleteMany(ctx context.Context, keys []string) error {
	if err := b.check(ctx, keys...); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		delete(b.m, k)
	}
	return nil
}
