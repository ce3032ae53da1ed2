// Package ttlcache is a small concurrency-safe map whose entries expire, for what a warm Lambda
// may remember between invocations (group ids and names): long enough to save requests, short
// enough that a rename or a re-created group is seen within minutes.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps string keys to values of type V, each trusted until its expiry. A TTL of zero or
// less disables it: Put stores nothing.
type Cache[V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[string]entry[V]
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns an empty cache.
func New[V any](ttl time.Duration) *Cache[V] {
	return &Cache[V]{ttl: ttl, now: time.Now, entries: map[string]entry[V]{}}
}

// WithClock replaces the clock (tests).
func (c *Cache[V]) WithClock(now func() time.Time) *Cache[V] {
	c.now = now
	return c
}

// Get returns the value for key if it has not expired.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		delete(c.entries, key)
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under key until now+TTL.
func (c *Cache[V]) Put(key string, v V) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = entry[V]{v: v, expires: c.now().Add(c.ttl)}
}

// Invalidate forgets key.
func (c *Cache[V]) Invalidate(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
