package dbconn

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Cache keeps one Pool per database for the life of the process (a Lambda execution
// environment), so warm invocations reuse open connections instead of logging in again.
// Hold it in a package-level variable of the handler.
type Cache struct {
	creds aws.CredentialsProvider
	lim   *Limiter
	mu    sync.Mutex
	pools map[poolKey]*Pool
}

// poolKey identifies a database and login; the TLS trust and pool sizes of the first Get win.
type poolKey struct {
	engine               Engine
	host, database, user string
	region               string
	port                 int
}

// NewCache returns an empty cache whose pools sign tokens with creds and share lim (nil means
// DefaultLimiter).
func NewCache(creds aws.CredentialsProvider, lim *Limiter) *Cache {
	if lim == nil {
		lim = DefaultLimiter
	}
	return &Cache{creds: creds, lim: lim, pools: map[poolKey]*Pool{}}
}

// Get returns the pool for cfg's database, opening it on first use. It does not connect: the
// first query does, with a fresh token.
func (c *Cache) Get(_ context.Context, cfg Config) (*Pool, error) {
	key := poolKey{engine: cfg.Engine, host: cfg.Host, port: cfg.Port, database: cfg.Database, user: cfg.User, region: cfg.Region}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.pools[key]; ok {
		return p, nil
	}
	p, err := Open(cfg, c.creds, c.lim)
	if err != nil {
		return nil, fmt.Errorf("dbconn: open pool for %s database %q: %w", cfg.Engine, cfg.Database, err)
	}
	c.pools[key] = p
	return p, nil
}

// Close closes every pool.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []error
	for k, p := range c.pools {
		if err := p.Close(); err != nil {
			all = append(all, fmt.Errorf("close pool for %q: %w", k.database, err))
		}
		delete(c.pools, k)
	}
	return errors.Join(all...)
}
