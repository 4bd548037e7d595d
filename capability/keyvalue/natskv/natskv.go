// Package natskv is the JetStream KV keyvalue provider: each bucket is a
// JetStream KV bucket (history 1, file storage) on the NATS server the
// connection reaches, the embedded server a Host runs or an external one.
// Hosts of a lattice that share a JetStream domain share buckets.
//
// Keys are escaped into valid JetStream keys (see encodeKey). Increment and
// CompareAndSwap are compare-and-set loops on the key's revision, atomic
// against every client of the bucket; callers in one process take turns on
// a key rather than failing each other's revision checks. ListKeys reads
// every key of the bucket for each page (JetStream keeps no ordered index
// of keys), so it costs in proportion to the bucket, not the page.
//
// Durability is the server's: with JetStream's default sync interval (2
// minutes) an acknowledged write survives the server process being killed
// but not the machine losing power; sync_interval "always" (server option
// SyncAlways) fsyncs each write first.
package natskv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
	"github.com/wasmhive/wasmhive/capability/keyvalue/internal/counter"
)

// Store is a keyvalue.Store on JetStream KV. It does not own the NATS
// connection: closing the Store leaves it open.
type Store struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	closed atomic.Bool
	// turns serialises this process's compare-and-set loops on a key (by
	// hash of bucket and key), so they take turns instead of failing each
	// other's revision checks; other processes are still caught by them.
	turns [64]chan struct{}
}

// New returns a Store using nc, after checking that JetStream is enabled
// for nc's account.
func New(ctx context.Context, nc *nats.Conn) (*Store, error) {
	if nc == nil {
		return nil, errors.New("natskv: no NATS connection")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natskv: %w", err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("natskv: JetStream is not enabled on the NATS server at %s (start it with JetStream, e.g. nats-server -js): %w", nc.ConnectedUrlRedacted(), err)
		}
		return nil, fmt.Errorf("natskv: reach JetStream on %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	s := &Store{nc: nc, js: js}
	for i := range s.turns {
		s.turns[i] = make(chan struct{}, 1)
	}
	return s, nil
}

// turn waits for the key's turn; the caller calls the returned func to end
// it.
func (s *Store) turn(ctx context.Context, bucket, key string) (func(), error) {
	h := fnv.New32a()
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(key))
	c := s.turns[h.Sum32()%uint32(len(s.turns))]
	select {
	case c <- struct{}{}:
		return func() { <-c }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Open returns the JetStream KV bucket name, creating it (history 1, file
// storage) if needed. An existing bucket is used with its own settings.
func (s *Store) Open(ctx context.Context, name string) (keyvalue.Bucket, error) {
	if err := keyvalue.CheckBucket(name); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, keyvalue.ErrClosed
	}
	kv, err := s.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, History: 1, Storage: jetstream.FileStorage})
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = s.js.KeyValue(ctx, name)
	}
	if err != nil {
		return nil, fmt.Errorf("natskv: open bucket %q: %w", name, s.mapErr(err))
	}
	return &Bucket{s: s, kv: kv}, nil
}

// Close makes the Store's buckets fail with keyvalue.ErrClosed. The NATS
// connection stays open: its owner closes it.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

func (s *Store) mapErr(err error) error {
	if errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("%w: %v", keyvalue.ErrClosed, err)
	}
	return err
}

// Bucket is one JetStream KV bucket.
type Bucket struct {
	s  *Store
	kv jetstream.KeyValue
}

var _ keyvalue.Bucket = (*Bucket)(nil)

// key checks k and returns its JetStream key.
func (b *Bucket) key(k string) (string, error) {
	if err := keyvalue.CheckKey(k); err != nil {
		return "", err
	}
	if b.s.closed.Load() {
		return "", keyvalue.ErrClosed
	}
	return encodeKey(k), nil
}

func (b *Bucket) checkValue(v []byte) error {
	if max := b.s.nc.MaxPayload(); int64(len(v)) > max {
		return fmt.Errorf("natskv: value of %d bytes is over the NATS server's max_payload of %d bytes", len(v), max)
	}
	return nil
}

func (b *Bucket) fail(op, key string, err error) error {
	return fmt.Errorf("natskv: %s %q in bucket %s: %w", op, key, b.kv.Bucket(), b.s.mapErr(err))
}

// get returns the entry of the JetStream key k, or nil when absent.
func (b *Bucket) get(ctx context.Context, k string) (jetstream.KeyValueEntry, error) {
	e, err := b.kv.Get(ctx, k)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	return e, err
}

func value(e jetstream.KeyValueEntry) []byte {
	if v := e.Value(); v != nil {
		return v
	}
	return []byte{}
}

// Get returns the value of key, or keyvalue.ErrNotFound.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	k, err := b.key(key)
	if err != nil {
		return nil, err
	}
	e, err := b.get(ctx, k)
	if err != nil {
		return nil, b.fail("get", key, err)
	}
	if e == nil {
		return nil, keyvalue.ErrNotFound
	}
	return value(e), nil
}

// Set stores value under key.
func (b *Bucket) Set(ctx context.Context, key string, v []byte) error {
	k, err := b.key(key)
	if err != nil {
		return err
	}
	if err := b.checkValue(v); err != nil {
		return err
	}
	if _, err := b.kv.Put(ctx, k, v); err != nil {
		return b.fail("set", key, err)
	}
	return nil
}

// Delete removes key (JetStream keeps a delete marker in its place).
func (b *Bucket) Delete(ctx context.Context, key string) error {
	k, err := b.key(key)
	if err != nil {
		return err
	}
	if err := b.kv.Delete(ctx, k); err != nil {
		return b.fail("delete", key, err)
	}
	return nil
}

// Exists reports whether key is set.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	k, err := b.key(key)
	if err != nil {
		return false, err
	}
	e, err := b.get(ctx, k)
	if err != nil {
		return false, b.fail("exists", key, err)
	}
	return e != nil, nil
}

// conflict reports a revision check that failed: another writer won.
func conflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// backoff waits a little after the attempt-th conflict, so that writers
// contending for one key do not retry in lockstep.
func backoff(ctx context.Context, attempt int) error {
	if attempt < 2 {
		return ctx.Err()
	}
	d := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(20*time.Microsecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Increment adds delta to the counter at key: a compare-and-set loop on
// the key's revision.
func (b *Bucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	k, err := b.key(key)
	if err != nil {
		return 0, err
	}
	done, err := b.s.turn(ctx, b.kv.Bucket(), k)
	if err != nil {
		return 0, err
	}
	defer done()
	for attempt := 0; ; attempt++ {
		if err := backoff(ctx, attempt); err != nil {
			return 0, err
		}
		e, err := b.get(ctx, k)
		if err != nil {
			return 0, b.fail("increment", key, err)
		}
		var old []byte
		if e != nil {
			old = value(e)
		}
		n, text, err := counter.Apply(old, e != nil, delta)
		if err != nil {
			return 0, err
		}
		if e == nil {
			_, err = b.kv.Create(ctx, k, text)
		} else {
			_, err = b.kv.Update(ctx, k, text, e.Revision())
		}
		if conflict(err) {
			continue
		}
		if err != nil {
			return 0, b.fail("increment", key, err)
		}
		return n, nil
	}
}

// CompareAndSwap sets key to new if its value is old (nil: if absent).
func (b *Bucket) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	k, err := b.key(key)
	if err != nil {
		return false, err
	}
	if err := b.checkValue(new); err != nil {
		return false, err
	}
	done, err := b.s.turn(ctx, b.kv.Bucket(), k)
	if err != nil {
		return false, err
	}
	defer done()
	if old == nil {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		_, err := b.kv.Create(ctx, k, new)
		if conflict(err) {
			return false, nil
		}
		if err != nil {
			return false, b.fail("compare_and_swap", key, err)
		}
		return true, nil
	}
	for attempt := 0; ; attempt++ {
		if err := backoff(ctx, attempt); err != nil {
			return false, err
		}
		e, err := b.get(ctx, k)
		if err != nil {
			return false, b.fail("compare_and_swap", key, err)
		}
		if e == nil || !bytes.Equal(value(e), old) {
			return false, nil
		}
		// The value matched at this revision; if another write lands
		// first, look again: it may have written old back.
		_, err = b.kv.Update(ctx, k, new, e.Revision())
		if conflict(err) {
			continue
		}
		if err != nil {
			return false, b.fail("compare_and_swap", key, err)
		}
		return true, nil
	}
}

// ListKeys returns up to limit keys starting with prefix, in byte order,
// after cursor. It reads every key of the bucket.
func (b *Bucket) ListKeys(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	limit = max(limit, 1)
	if b.s.closed.Load() {
		return nil, "", keyvalue.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	w, err := b.kv.WatchAll(ctx, jetstream.IgnoreDeletes(), jetstream.MetaOnly())
	if err != nil {
		return nil, "", b.fail("list_keys", prefix, err)
	}
	defer w.Stop()
	// Keep the limit+1 smallest keys after cursor: sort and cut whenever
	// the candidates pile up, so memory stays bounded by the page.
	var keys []string
	cut := func() {
		slices.Sort(keys)
		keys = slices.Compact(keys)
		if len(keys) > limit+1 {
			keys = keys[:limit+1]
		}
	}
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case e, ok = <-w.Updates():
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
		if !ok {
			if err := ctx.Err(); err != nil {
				return nil, "", err
			}
			return nil, "", b.fail("list_keys", prefix, errors.New("the watcher stopped before listing every key"))
		}
		if e == nil { // every key present when the watch started was seen
			break
		}
		k, ours := decodeKey(e.Key())
		if !ours || !strings.HasPrefix(k, prefix) || k <= cursor {
			continue
		}
		if len(keys) > 0 && len(keys) >= 4*(limit+1) {
			cut()
		}
		keys = append(keys, k)
	}
	cut()
	next := ""
	if len(keys) > limit {
		keys = keys[:limit]
		next = keys[limit-1]
	}
	return keys, next, nil
}

// GetMany returns the values of keys, in order, reading up to 16 at once.
func (b *Bucket) GetMany(ctx context.Context, keys []string) ([]keyvalue.Entry, error) {
	enc := make([]string, len(keys))
	for i, key := range keys {
		k, err := b.key(key)
		if err != nil {
			return nil, err
		}
		enc[i] = k
	}
	out := make([]keyvalue.Entry, len(keys))
	errs := make([]error, len(keys))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i].Key = keys[i]
			e, err := b.get(ctx, enc[i])
			if err != nil {
				errs[i] = b.fail("get_many", keys[i], err)
				return
			}
			if e != nil {
				out[i].Value, out[i].Found = value(e), true
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	return out, nil
}

// SetMany stores every entry, in order (not atomically).
func (b *Bucket) SetMany(ctx context.Context, entries []keyvalue.Entry) error {
	enc := make([]string, len(entries))
	for i, e := range entries {
		k, err := b.key(e.Key)
		if err != nil {
			return err
		}
		if err := b.checkValue(e.Value); err != nil {
			return err
		}
		enc[i] = k
	}
	for i, e := range entries {
		if _, err := b.kv.Put(ctx, enc[i], e.Value); err != nil {
			return b.fail("set_many", e.Key, err)
		}
	}
	return nil
}

// DeleteMany removes keys, in order (not atomically).
func (b *Bucket) DeleteMany(ctx context.Context, keys []string) error {
	enc := make([]string, len(keys))
	for i, key := range keys {
		k, err := b.key(key)
		if err != nil {
			return err
		}
		enc[i] = k
	}
	for i, k := range enc {
		if err := b.kv.Delete(ctx, k); err != nil {
			return b.fail("delete_many", keys[i], err)
		}
	}
	return nil
}
