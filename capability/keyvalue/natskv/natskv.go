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
//
// On a JetStream cluster, Options.Replicas makes each bucket the Store
// creates a stream kept by that many servers (R3 survives the loss of one
// of three, R5 of two of five). An existing bucket with fewer replicas is
// raised to Replicas (JetStream copies it to the new servers in the
// background); one with more is used as it is, so a host configured with
// fewer replicas never weakens a bucket another host made safer. Reads are
// direct gets that any replica may answer, so a read right after a write
// through another server can briefly see the older value; Increment and
// CompareAndSwap are checked by the bucket's leader and stay atomic.
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

// DefaultReadyTimeout is how long New and Open wait by default for a
// JetStream cluster to become ready (see Options.ReadyTimeout).
const DefaultReadyTimeout = 10 * time.Second

// MaxReplicas is the most replicas JetStream keeps of a stream.
const MaxReplicas = 5

// A clustered server that has no meta leader yet does not answer JetStream
// API requests at all, so while New and Open wait for a cluster each
// attempt is bounded: firstAttempt at first, doubling up to maxAttempt
// (a loaded server may answer slowly, and creating a bucket twice is
// harmless).
const (
	firstAttempt = 250 * time.Millisecond
	maxAttempt   = 2 * time.Second
)

// Options configures a Store.
type Options struct {
	// Replicas is how many servers of a JetStream cluster keep each
	// bucket the Store creates, 1 to MaxReplicas; 0 means 1. More than
	// 1 needs a clustered JetStream with at least that many servers.
	Replicas int
	// ReadyTimeout bounds how long New and Open retry while JetStream is
	// not ready to serve them: a cluster that has just formed elects its
	// meta leader first, and a replicated bucket needs its servers up.
	// 0 means DefaultReadyTimeout. ctx's end cuts it short.
	ReadyTimeout time.Duration
}

// Store is a keyvalue.Store on JetStream KV. It does not own the NATS
// connection: closing the Store leaves it open.
type Store struct {
	nc       *nats.Conn
	js       jetstream.JetStream
	replicas int
	ready    time.Duration
	closed   atomic.Bool
	// turns serialises this process's compare-and-set loops on a key (by
	// hash of bucket and key), so they take turns instead of failing each
	// other's revision checks; other processes are still caught by them.
	turns [64]chan struct{}
}

// New returns a Store using nc, after checking that JetStream is enabled
// for nc's account. opts, at most one, sets the replicas of the buckets it
// creates (default 1) and how long to wait for a JetStream cluster that
// is not ready yet (default 10s).
func New(ctx context.Context, nc *nats.Conn, opts ...Options) (*Store, error) {
	if nc == nil {
		return nil, errors.New("natskv: no NATS connection")
	}
	var o Options
	switch len(opts) {
	case 0:
	case 1:
		o = opts[0]
	default:
		return nil, errors.New("natskv: New takes at most one Options")
	}
	if o.Replicas < 0 || o.Replicas > MaxReplicas {
		return nil, fmt.Errorf("natskv: replicas %d: JetStream keeps 1 to %d", o.Replicas, MaxReplicas)
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natskv: %w", err)
	}
	s := &Store{nc: nc, js: js, replicas: o.Replicas, ready: o.ReadyTimeout}
	err = s.retry(ctx, func(ctx context.Context) error {
		_, err := js.AccountInfo(ctx)
		return err
	})
	if err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("natskv: JetStream is not enabled on the NATS server at %s (start it with JetStream, e.g. nats-server -js): %w", nc.ConnectedUrlRedacted(), err)
		}
		var nr *notReady
		if errors.As(err, &nr) {
			return nil, fmt.Errorf("natskv: JetStream at %s not ready after %s: %s", nc.ConnectedUrlRedacted(), nr.after, s.describe(nr.err))
		}
		return nil, fmt.Errorf("natskv: reach JetStream on %s: %w", nc.ConnectedUrlRedacted(), err)
	}
	for i := range s.turns {
		s.turns[i] = make(chan struct{}, 1)
	}
	return s, nil
}

// Replicas returns how many replicas the Store gives the buckets it
// creates.
func (s *Store) Replicas() int { return s.replicas }

// notReady is a transient error that outlasted the Store's ReadyTimeout.
type notReady struct {
	after time.Duration
	err   error
}

func (e *notReady) Error() string { return fmt.Sprintf("not ready after %s: %v", e.after, e.err) }
func (e *notReady) Unwrap() error { return e.err }

// retry runs op until it succeeds or fails with an error that is not
// transient (see transient), for at most s.ready: then the error is a
// *notReady with the last error, or the last the server answered when the
// last attempt only timed out (an attempt cut short by the end is no news).
// Attempts are bounded (firstAttempt, doubling to maxAttempt); ctx's end
// stops the retries with ctx's error.
func (s *Store) retry(ctx context.Context, op func(context.Context) error) error {
	end := time.Now().Add(s.ready)
	attempt, pause := firstAttempt, 50*time.Millisecond
	var answered error
	for ; ; attempt, pause = min(2*attempt, maxAttempt), min(2*pause, 500*time.Millisecond) {
		dl := time.Now().Add(attempt)
		if end.Before(dl) {
			dl = end
		}
		actx, cancel := context.WithDeadline(ctx, dl)
		err := op(actx)
		cancel()
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w (last: %v)", cerr, err)
		}
		if !transient(err) {
			return err
		}
		if apiCode(err) != 0 {
			answered = err
		}
		left := time.Until(end)
		if left <= 0 {
			if apiCode(err) == 0 && answered != nil {
				err = answered
			}
			return &notReady{after: s.ready, err: err}
		}
		t := time.NewTimer(min(pause, left))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (last: %v)", ctx.Err(), err)
		}
	}
}

// JetStream API error codes retried while a cluster gets ready.
const (
	errNoPeers               = 10005 // no suitable peers for placement
	errClusterNotAvail       = 10008 // JetStream system temporarily unavailable
	errClusterNotLeader      = 10009 // JetStream cluster can not handle request
	errInsufficientResources = 10023 // insufficient resources
	errReplicasNotSupported  = 10074 // replicas > 1 not supported in non-clustered mode
)

// apiCode returns err's JetStream API error code, or 0.
func apiCode(err error) jetstream.ErrorCode {
	var je jetstream.JetStreamError
	if errors.As(err, &je) && je.APIError() != nil {
		return je.APIError().ErrorCode
	}
	var ae *jetstream.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode
	}
	return 0
}

// transient reports an error a JetStream cluster that is still forming
// (or electing a leader) gives: no answer in time, no meta leader, or too
// few servers known yet for the replicas asked.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
		return true
	}
	switch apiCode(err) {
	case errNoPeers, errClusterNotAvail, errClusterNotLeader, errInsufficientResources:
		return true
	}
	return false
}

// describe explains the last error of a JetStream cluster not ready.
func (s *Store) describe(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout):
		return fmt.Sprintf("no answer from the JetStream API (a JetStream cluster answers once a majority of its servers are up and have elected a leader): %v", err)
	case s.replicas > 1 && (apiCode(err) == errNoPeers || apiCode(err) == errInsufficientResources):
		return fmt.Sprintf("%v (%d replicas need %d JetStream servers of the cluster up)", err, s.replicas, s.replicas)
	}
	return err.Error()
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
// storage, the Store's replicas) if needed. An existing bucket is used
// with its own settings, except that one with fewer replicas than the
// Store's is raised to them. While the JetStream cluster is not ready
// (just formed, or too few servers up for the replicas) Open retries for
// up to the Store's ReadyTimeout.
func (s *Store) Open(ctx context.Context, name string) (keyvalue.Bucket, error) {
	if err := keyvalue.CheckBucket(name); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, keyvalue.ErrClosed
	}
	cfg := jetstream.KeyValueConfig{Bucket: name, History: 1, Storage: jetstream.FileStorage, Replicas: s.replicas}
	var kv jetstream.KeyValue
	err := s.retry(ctx, func(ctx context.Context) error {
		var err error
		kv, err = s.js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = s.existing(ctx, name)
		}
		return err
	})
	var nr *notReady
	switch {
	case err == nil:
		return &Bucket{s: s, kv: kv}, nil
	case errors.As(err, &nr):
		return nil, fmt.Errorf("natskv: keyvalue bucket %s: JetStream cluster not ready after %s: %s", name, nr.after, s.describe(nr.err))
	case apiCode(err) == errReplicasNotSupported:
		return nil, fmt.Errorf("natskv: keyvalue bucket %s: %d replicas need a NATS cluster with JetStream; NATS server %q is not clustered (%v)", name, s.replicas, s.nc.ConnectedServerName(), err)
	}
	return nil, fmt.Errorf("natskv: open bucket %q: %w", name, s.mapErr(err))
}

// existing returns the existing bucket name, first raising its replicas
// to the Store's when it has fewer.
func (s *Store) existing(ctx context.Context, name string) (jetstream.KeyValue, error) {
	st, err := s.js.Stream(ctx, "KV_"+name)
	if err != nil {
		return nil, err
	}
	if cfg := st.CachedInfo().Config; cfg.Replicas < s.replicas {
		cfg.Replicas = s.replicas
		if _, err := s.js.UpdateStream(ctx, cfg); err != nil {
			return nil, fmt.Errorf("raise replicas from %d to %d: %w", st.CachedInfo().Config.Replicas, s.replicas, err)
		}
	}
	return s.js.KeyValue(ctx, name)
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
//
// A read of a replicated bucket made just after it was created (or while
// a server rejoins) can find no server answering direct reads yet ("no
// responders"): it is tried again for up to getRetry. One not answered
// within readAttempt (it went to a server that died) is tried again for
// up to lostRetry.
func (b *Bucket) get(ctx context.Context, k string) (jetstream.KeyValueEntry, error) {
	start := time.Now()
	deadline := start.Add(getRetry)
	for {
		e, err := b.getOnce(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, nil
		}
		lost := errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil
		if !(lost || errors.Is(err, nats.ErrNoResponders)) || b.s.replicas <= 1 ||
			time.Now().After(deadline) && (!lost || time.Since(start) > lostRetry) {
			return e, err
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// getRetry bounds how long get waits for a replicated bucket's readers.
const getRetry = time.Second

// readAttempt bounds one read of a replicated bucket: a direct read that
// went to a server that just died is never answered (its interest lingers
// on the cluster's routes for a moment), and reads can be tried again.
const readAttempt = 250 * time.Millisecond

// lostRetry bounds how long get tries again reads that were not answered
// (within ctx's own deadline, when it has one).
const lostRetry = 10 * time.Second

// getOnce reads k once, within readAttempt on a replicated bucket.
func (b *Bucket) getOnce(ctx context.Context, k string) (jetstream.KeyValueEntry, error) {
	if b.s.replicas <= 1 {
		return b.kv.Get(ctx, k)
	}
	actx, cancel := context.WithTimeout(ctx, readAttempt)
	defer cancel()
	return b.kv.Get(actx, k)
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
//
// On a replicated bucket the listing reads from whichever server JetStream
// puts its consumer on, which may not have applied the latest writes yet:
// the listing is compared with the stream's last sequence, asked of the
// stream's leader before it starts, and read again (within listCatchUp)
// until it has caught up, so that it reflects every write acknowledged
// before the call.
func (b *Bucket) ListKeys(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	limit = max(limit, 1)
	if b.s.closed.Load() {
		return nil, "", keyvalue.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	var want uint64
	if b.s.replicas > 1 {
		st, err := b.s.js.Stream(ctx, "KV_"+b.kv.Bucket())
		if err != nil {
			return nil, "", b.fail("list_keys", prefix, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			return nil, "", b.fail("list_keys", prefix, err)
		}
		want = info.State.LastSeq
	}
	deadline := time.Now().Add(listCatchUp)
	for {
		keys, next, seen, err := b.listOnce(ctx, prefix, cursor, limit)
		if err != nil || seen >= want || time.Now().After(deadline) {
			return keys, next, err
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
}

// listCatchUp bounds how long ListKeys waits for a replica to catch up.
const listCatchUp = 2 * time.Second

// listOnce is one listing; seen is the highest stream sequence among the
// keys' last entries (deletions included), how far the listing's view of
// the bucket reaches.
func (b *Bucket) listOnce(ctx context.Context, prefix, cursor string, limit int) ([]string, string, uint64, error) {
	w, err := b.kv.WatchAll(ctx, jetstream.MetaOnly())
	if err != nil {
		return nil, "", 0, b.fail("list_keys", prefix, err)
	}
	defer w.Stop()
	// Keep the limit+1 smallest keys after cursor: sort and cut whenever
	// the candidates pile up, so memory stays bounded by the page.
	var keys []string
	var seen uint64
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
			return nil, "", 0, ctx.Err()
		}
		if !ok {
			if err := ctx.Err(); err != nil {
				return nil, "", 0, err
			}
			return nil, "", 0, b.fail("list_keys", prefix, errors.New("the watcher stopped before listing every key"))
		}
		if e == nil { // every key present when the watch started was seen
			break
		}
		seen = max(seen, e.Revision())
		if e.Operation() != jetstream.KeyValuePut {
			continue // deleted or purged
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
	return keys, next, seen, nil
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
