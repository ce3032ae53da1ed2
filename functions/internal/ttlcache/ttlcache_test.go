package ttlcache_test

import (
	"testing"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/ttlcache"
)

func TestEntriesExpireAfterTheTTL(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	c := ttlcache.New[string](10 * time.Minute).WithClock(func() time.Time { return now })
	c.Put("AWS_Admins", "g-1")
	if v, ok := c.Get("AWS_Admins"); !ok || v != "g-1" {
		t.Fatalf("Get = %q, %v; want g-1", v, ok)
	}
	now = now.Add(9*time.Minute + 59*time.Second)
	if _, ok := c.Get("AWS_Admins"); !ok {
		t.Error("entry gone before its TTL")
	}
	now = now.Add(time.Second)
	if _, ok := c.Get("AWS_Admins"); ok {
		t.Error("entry still there at its TTL")
	}
}

func TestInvalidateAndDisabledCache(t *testing.T) {
	c := ttlcache.New[int](time.Minute)
	c.Put("k", 1)
	c.Invalidate("k")
	if _, ok := c.Get("k"); ok {
		t.Error("invalidated entry still there")
	}
	off := ttlcache.New[int](0)
	off.Put("k", 1)
	if _, ok := off.Get("k"); ok {
		t.Error("a cache with TTL 0 stored an entry")
	}
}
