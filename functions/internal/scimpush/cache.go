package scimpush

import (
	"sync"
	"time"
)

// DefaultGroupTTL is how long a resolved Identity Center group id is trusted by a warm Lambda.
const DefaultGroupTTL = 10 * time.Minute

// groupCache maps a group reference (explicit id or displayName) to its Identity Center id,
// each entry trusted until its expiry.
type groupCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	now     func() time.Time
	entries map[string]cacheEntry
}

type cacheEntry struct {
	id      string
	expires time.Time
}

func newGroupCache(ttl time.Duration) *groupCache {
	return &groupCache{ttl: ttl, now: time.Now, entries: map[string]cacheEntry{}}
}

func (c *groupCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.now().Before(e.expires) {
		delete(c.entries, key)
		return "", false
	}
	return e.id, true
}

func (c *groupCache) put(key, id string) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = cacheEntry{id: id, expires: c.now().Add(c.ttl)}
}

func (c *groupCache) invalidate(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
}
