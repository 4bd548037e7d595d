// Package rediskv is the Redis keyvalue provider: bucket b's key k is the
// Redis string "b:k" (bucket names cannot hold ':', so buckets never
// overlap). Increment is INCRBY, which stores the same decimal text the
// contract asks for; CompareAndSwap is a Lua script; the batch operations
// are MGET, MSET and DEL, one round trip each.
//
// ListKeys walks the bucket's keys with the prefix by SCAN MATCH (the
// prefix's glob characters escaped) and sorts them, for each page: SCAN
// has no order, so a page costs in proportion to the keys with the prefix,
// not to the page.
package rediskv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/wasmhive/wasmhive/capability/keyvalue"
)

// Store is a keyvalue.Store on one Redis database.
type Store struct {
	c      *redis.Client
	addr   string
	closed atomic.Bool
}

// New connects to the Redis server at url (redis://[user:password@]host:port/db,
// or rediss:// for TLS) and checks that it answers.
func New(ctx context.Context, url string) (*Store, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("rediskv: %w", err)
	}
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("rediskv: reach Redis at %s: %w", opt.Addr, err)
	}
	return &Store{c: c, addr: opt.Addr}, nil
}

// Open returns the bucket name: the keys of the Redis database that start
// with "name:".
func (s *Store) Open(ctx context.Context, name string) (keyvalue.Bucket, error) {
	if err := keyvalue.CheckBucket(name); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, keyvalue.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Bucket{s: s, name: name, prefix: name + ":"}, nil
}

// Close closes the connections to Redis.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.c.Close()
}

// Bucket is the keys of one Redis database with the prefix "name:".
type Bucket struct {
	s      *Store
	name   string
	prefix string
}

var _ keyvalue.Bucket = (*Bucket)(nil)

func (b *Bucket) key(k string) (string, error) {
	if err := keyvalue.CheckKey(k); err != nil {
		return "", err
	}
	if b.s.closed.Load() {
		return "", keyvalue.ErrClosed
	}
	return b.prefix + k, nil
}

func (b *Bucket) fail(op, key string, err error) error {
	if errors.Is(err, redis.ErrClosed) {
		err = fmt.Errorf("%w: %v", keyvalue.ErrClosed, err)
	}
	return fmt.Errorf("rediskv: %s %q in bucket %s: %w", op, key, b.name, err)
}

// Get returns the value of key, or keyvalue.ErrNotFound.
func (b *Bucket) Get(ctx context.Context, key string) ([]byte, error) {
	k, err := b.key(key)
	if err != nil {
		return nil, err
	}
	v, err := b.s.c.Get(ctx, k).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, keyvalue.ErrNotFound
	}
	if err != nil {
		return nil, b.fail("get", key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Set stores value under key.
func (b *Bucket) Set(ctx context.Context, key string, value []byte) error {
	k, err := b.key(key)
	if err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	if err := b.s.c.Set(ctx, k, value, 0).Err(); err != nil {
		return b.fail("set", key, err)
	}
	return nil
}

// Delete removes key.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	k, err := b.key(key)
	if err != nil {
		return err
	}
	if err := b.s.c.Del(ctx, k).Err(); err != nil {
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
	n, err := b.s.c.Exists(ctx, k).Result()
	if err != nil {
		return false, b.fail("exists", key, err)
	}
	return n > 0, nil
}

// redisError returns the message of an error reply from the server.
func redisError(err error) (string, bool) {
	var re redis.Error
	if errors.As(err, &re) {
		return re.Error(), true
	}
	return "", false
}

// Increment is INCRBY. Redis refuses the same values counter.Parse does
// (anything but the canonical decimal text of an int64).
func (b *Bucket) Increment(ctx context.Context, key string, delta int64) (int64, error) {
	k, err := b.key(key)
	if err != nil {
		return 0, err
	}
	n, err := b.s.c.IncrBy(ctx, k, delta).Result()
	if err != nil {
		// go-redis has no typed errors for these replies: Redis' own
		// messages ("ERR value is not an integer or out of range", "ERR
		// increment or decrement would overflow") are the only signal.
		if msg, ok := redisError(err); ok {
			switch {
			case strings.Contains(msg, "not an integer"):
				return 0, keyvalue.ErrNotInteger
			case strings.Contains(msg, "overflow"):
				return 0, keyvalue.ErrOverflow
			}
		}
		return 0, b.fail("increment", key, err)
	}
	return n, nil
}

// casScript sets KEYS[1] to ARGV[3] when it is absent (ARGV[1] == "1") or
// holds ARGV[2]; it returns 1 when it did. Lua scripts run atomically.
var casScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if v then return 0 end
elseif v ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1
`)

// CompareAndSwap sets key to new if its value is old (nil: if absent).
func (b *Bucket) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	k, err := b.key(key)
	if err != nil {
		return false, err
	}
	absent := "0"
	if old == nil {
		absent = "1"
	}
	if new == nil {
		new = []byte{}
	}
	n, err := casScript.Run(ctx, b.s.c, []string{k}, absent, old, new).Int()
	if err != nil {
		return false, b.fail("compare_and_swap", key, err)
	}
	return n == 1, nil
}

// escapeGlob escapes the characters SCAN MATCH patterns give a meaning.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ListKeys returns up to limit keys starting with prefix, in byte order,
// after cursor: one full SCAN of the keys with the prefix per page.
func (b *Bucket) ListKeys(ctx context.Context, prefix, cursor string, limit int) ([]string, string, error) {
	limit = max(limit, 1)
	if b.s.closed.Load() {
		return nil, "", keyvalue.ErrClosed
	}
	match := escapeGlob(b.prefix+prefix) + "*"
	// Keep the limit+1 smallest keys after cursor; SCAN may return a key
	// more than once, so compact after sorting.
	var keys []string
	cut := func() {
		slices.Sort(keys)
		keys = slices.Compact(keys)
		if len(keys) > limit+1 {
			keys = keys[:limit+1]
		}
	}
	var it uint64
	for {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		page, next, err := b.s.c.Scan(ctx, it, match, 1000).Result()
		if err != nil {
			return nil, "", b.fail("list_keys", prefix, err)
		}
		for _, rk := range page {
			k, ok := strings.CutPrefix(rk, b.prefix)
			if !ok || !strings.HasPrefix(k, prefix) || k <= cursor {
				continue
			}
			if len(keys) >= 4*(limit+1) {
				cut()
			}
			keys = append(keys, k)
		}
		if next == 0 {
			break
		}
		it = next
	}
	cut()
	nextCursor := ""
	if len(keys) > limit {
		keys = keys[:limit]
		nextCursor = keys[limit-1]
	}
	return keys, nextCursor, nil
}

// GetMany is one MGET.
func (b *Bucket) GetMany(ctx context.Context, keys []string) ([]keyvalue.Entry, error) {
	rk := make([]string, len(keys))
	for i, key := range keys {
		k, err := b.key(key)
		if err != nil {
			return nil, err
		}
		rk[i] = k
	}
	out := make([]keyvalue.Entry, len(keys))
	if len(keys) == 0 {
		return out, ctx.Err()
	}
	vals, err := b.s.c.MGet(ctx, rk...).Result()
	if err != nil {
		return nil, b.fail("get_many", keys[0], err)
	}
	if len(vals) != len(keys) {
		return nil, fmt.Errorf("rediskv: get_many: MGET of %d keys returned %d values", len(keys), len(vals))
	}
	for i, v := range vals {
		out[i].Key = keys[i]
		if s, ok := v.(string); ok {
			out[i].Value, out[i].Found = []byte(s), true
		}
	}
	return out, nil
}

// SetMany is one MSET (atomic, though the contract does not ask for it).
func (b *Bucket) SetMany(ctx context.Context, entries []keyvalue.Entry) error {
	args := make([]any, 0, 2*len(entries))
	for _, e := range entries {
		k, err := b.key(e.Key)
		if err != nil {
			return err
		}
		v := e.Value
		if v == nil {
			v = []byte{}
		}
		args = append(args, k, v)
	}
	if len(entries) == 0 {
		return ctx.Err()
	}
	if err := b.s.c.MSet(ctx, args...).Err(); err != nil {
		return b.fail("set_many", entries[0].Key, err)
	}
	return nil
}

// DeleteMany is one DEL.
func (b *Bucket) DeleteMany(ctx context.Context, keys []string) error {
	rk := make([]string, len(keys))
	for i, key := range keys {
		k, err := b.key(key)
		if err != nil {
			return err
		}
		rk[i] = k
	}
	if len(keys) == 0 {
		return ctx.Err()
	}
	if err := b.s.c.Del(ctx, rk...).Err(); err != nil {
		return b.fail("delete_many", keys[0], err)
	}
	return nil
}
