// Package boltkv is the embedded keyvalue provider: one bbolt file holds
// every bucket (a bolt bucket each). It needs no server, survives kill -9
// and power loss (every acknowledged write is fsynced), and is the default
// store of a single wasmhive host.
//
// Writes go through a group commit: a write that arrives while another
// transaction is committing waits for it, then commits together with every
// other write that arrived meanwhile, in one transaction and one fsync. A
// lone writer commits at once; concurrent writers share fsyncs instead of
// queueing for one each. Each write still sees the effect of the ones
// before it, so Increment and CompareAndSwap stay atomic.
package boltkv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/counter"
)

// LockTimeout is how long Open waits for another process to release the
// file before giving up with an *InUseError.
const LockTimeout = time.Second

// ErrInUse is matched (errors.Is) by the *InUseError Open returns when
// another process holds the file.
var ErrInUse = errors.New("in use by another wasmhive process")

// InUseError reports a bolt file locked by another process: two hosts
// cannot share one data directory.
type InUseError struct {
	Path string // the bolt file
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("boltkv: data directory %s is in use by another wasmhive process (%s is locked)", filepath.Dir(e.Path), filepath.Base(e.Path))
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Store is a keyvalue.Store backed by one bbolt file.
type Store struct {
	db *bolt.DB

	mu      sync.Mutex
	pending []*op      // writes waiting for the next commit
	running bool       // a leader is committing
	idle    *sync.Cond // signalled when running turns false
	closed  bool
}

// Open opens (creating if needed) the bolt file at path. It waits up to
// LockTimeout for another process holding the file, then fails with an
// *InUseError.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: LockTimeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, &InUseError{Path: path}
		}
		return nil, fmt.Errorf("boltkv: open %s: %w", path, err)
	}
	s := &Store{db: db}
	s.idle = sync.NewCond(&s.mu)
	return s, nil
}

// Path returns the bolt file's path.
func (s *Store) Path() string { return s.db.Path() }

// Open returns the bucket name, creating it if needed.
func (s *Store) Open(ctx context.Context, name string) (keyvalue.Bucket, error) {
	if err := keyvalue.CheckBucket(name); err != nil {
		return nil, err
	}
	b := &Bucket{s: s, name: []byte(name)}
	err := s.write(ctx, func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(b.name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("boltkv: open bucket %q: %w", name, err)
	}
	return b, nil
}

// Close waits for the writes already accepted, then closes the file.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for s.running {
		s.idle.Wait()
	}
	s.mu.Unlock()
	return s.db.Close()
}

// op is one write waiting for a commit. fn's error is the op's result; it
// does not abort the transaction, so fn must check everything before it
// changes anything.
type op struct {
	fn    func(tx *bolt.Tx) error
	state atomic.Int32 // opQueued, opTaken or opCanceled
	err   error
	done  chan struct{}
}

const (
	opQueued int32 = iota
	opTaken
	opCanceled
)

// write runs fn in a write transaction and returns once it is committed
// (fsynced). It returns ctx.Err() only when fn was not run.
func (s *Store) write(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{fn: fn, done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return keyvalue.ErrClosed
	}
	s.pending = append(s.pending, o)
	lead := !s.running
	s.running = true
	s.mu.Unlock()
	if lead {
		s.commit()
	}
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		if o.state.CompareAndSwap(opQueued, opCanceled) {
			return ctx.Err()
		}
		<-o.done // already in a transaction: wait for its outcome
		return o.err
	}
}

// commit runs the pending writes in one transaction, then hands the
// leadership to a new goroutine if more writes arrived meanwhile, so the
// caller that led returns as soon as its own write is durable.
func (s *Store) commit() {
	s.mu.Lock()
	ops := s.pending
	s.pending = nil
	s.mu.Unlock()

	var run []*op
	for _, o := range ops {
		if o.state.CompareAndSwap(opQueued, opTaken) {
			run = append(run, o)
		}
	}
	if len(run) > 0 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, o := range run {
				o.err = o.fn(tx)
			}
			return nil
		})
		for _, o := range run {
			if err != nil {
				o.err = mapErr(err)
			}
			close(o.done)
		}
	}

	s.mu.Lock()
	if len(s.pending) == 0 {
		s.running = false
		s.idle.Broadcast()
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	go s.commit()
}

// read runs fn in a read transaction.
func (s *Store) read(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr(s.db.View(fn))
}

func mapErr(err error) error {
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return keyvalue.ErrClosed
	}
	return err
}

// Bucket is one bolt bucket of a Store.
type Bucket struct {
	s    *Store
	name []byte
}

var _ keyvalue.Bucket = (*Bucket)(nil)

// bucket returns the bolt bucket in tx.
func (b *Bucket) bucket(tx *bolt.Tx) (*bolt.Bucket, error) {
	bb := tx.Bucket(b.name)
	if bb == nil {
		return nil, fmt.Errorf("boltkv: bucket %q is missing from %s", b.name, b.s.db.Path())
	}
	return bb, nil
}

// lookup returns key's value (aliasing the transaction's memory) and
// whether it is set. A seek, not Get, tells an empty value from an absent
// key whatever the value's slice is.
func lookup(bb *bolt.Bucket, key []byte) ([]byte, bool) {
	k, v := bb.Cursor().Seek(key)
	if k == nil || !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

// nonNil makes an empty value non-nil: bolt stores what it is given.
func nonNil(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return v
}

// Get returns the value of key, or keyvalue.ErrNotFound.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	if err := keyvalue.CheckKey(key); err != nil {
		return nil, err
	}
	var out []byte
	found := false
	err := b.s.read(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		v, ok := lookup(bb, []byte(key))
		if ok {
			out, found = append([]byte{}, v...), true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, keyvalue.ErrNotFound
	}
	return out, nil
}

// Set stores value under key.
func (b *Bucket) Set(ctx context.Context, key string, value []byte) error {
	if err := keyvalue.CheckKey(key); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return err
	}
	value = nonNil(append([]byte(nil), value...)) // the caller may reuse value before the commit
	return b.s.write(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		return bb.Put([]byte(key), value)
	})
}

func checkValue(v []byte) error {
	if len(v) > bolt.MaxValueSize {
		return fmt.Errorf("boltkv: value of %d bytes is over bolt's limit of %d", len(v), bolt.MaxValueSize)
	}
	return nil
}

// Delete removes key.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := keyvalue.CheckKey(key); err != nil {
		return err
	}
	return b.s.write(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		return bb.Delete([]byte(key))
	})
}

// Exists reports whether key is set.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	if err := keyvalue.CheckKey(key); err != nil {
		return false, err
	}
	found := false
	err := b.s.read(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		_, found = lookup(bb, []byte(key))
		return nil
	})
	return found, err
}

// ListKeys returns up to limit keys starting with prefix, in byte order,
// after cursor.
func (b *Bucket) ListKeys(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	limit = max(limit, 1)
	var keys []string
	more := false
	err := b.s.read(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		start := prefix
		if cursor > start {
			start = cursor
		}
		c := bb.Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek([]byte(start)); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			if cursor != "" && string(k) == cursor {
				continue
			}
			if len(keys) == limit {
				more = true
				break
			}
			keys = append(keys, string(k))
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if more {
		next = keys[len(keys)-1]
	}
	return keys, next, nil
}

// Increment adds delta to the counter at key and returns the new value.
func (b *Bucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	if err := keyvalue.CheckKey(key); err != nil {
		return 0, err
	}
	var n int64
	err := b.s.write(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		old, found := lookup(bb, []byte(key))
		v, text, err := counter.Apply(old, found, delta)
		if err != nil {
			return err
		}
		if err := bb.Put([]byte(key), text); err != nil {
			return err
		}
		n = v
		return nil
	})
	return n, err
}

// CompareAndSwap sets key to new if its value is old (nil: if absent).
func (b *Bucket) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	if err := keyvalue.CheckKey(key); err != nil {
		return false, err
	}
	if err := checkValue(new); err != nil {
		return false, err
	}
	wantAbsent := old == nil
	old = bytes.Clone(old) // the caller may reuse old before the commit
	newV := nonNil(append([]byte(nil), new...))
	swapped := false
	err := b.s.write(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		cur, found := lookup(bb, []byte(key))
		if wantAbsent && found || !wantAbsent && (!found || !bytes.Equal(cur, old)) {
			swapped = false
			return nil
		}
		if err := bb.Put([]byte(key), newV); err != nil {
			return err
		}
		swapped = true
		return nil
	})
	return swapped, err
}

// GetMany returns the values of keys, in order.
func (b *Bucket) GetMany(ctx context.Context, keys []string) ([]keyvalue.Entry, error) {
	for _, k := range keys {
		if err := keyvalue.CheckKey(k); err != nil {
			return nil, err
		}
	}
	out := make([]keyvalue.Entry, len(keys))
	err := b.s.read(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		for i, k := range keys {
			out[i].Key = k
			if v, ok := lookup(bb, []byte(k)); ok {
				out[i].Value, out[i].Found = append([]byte{}, v...), true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetMany stores every entry, in one transaction.
func (b *Bucket) SetMany(ctx context.Context, entries []keyvalue.Entry) error {
	own := make([]keyvalue.Entry, len(entries))
	for i, e := range entries {
		if err := keyvalue.CheckKey(e.Key); err != nil {
			return err
		}
		if err := checkValue(e.Value); err != nil {
			return err
		}
		own[i] = keyvalue.Entry{Key: e.Key, Value: nonNil(append([]byte(nil), e.Value...))}
	}
	return b.s.write(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		for _, e := range own {
			if err := bb.Put([]byte(e.Key), e.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteMany removes keys, in one transaction.
func (b *Bucket) DeleteMany(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := keyvalue.CheckKey(k); err != nil {
			return err
		}
	}
	keys = append([]string(nil), keys...)
	return b.s.write(ctx, func(tx *bolt.Tx) error {
		bb, err := b.bucket(tx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := bb.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}
