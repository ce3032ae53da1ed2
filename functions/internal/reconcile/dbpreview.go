package reconcile

import (
	"context"
	"fmt"

	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// HandlerPreview previews a database as Handler would apply it: the same configuration,
// connection and desired users, read with dbuser.DryRun (which decides exactly as
// dbuser.Apply does) instead of applied. It changes nothing, not even the ledger.
type HandlerPreview struct {
	Handler *dbusers.Handler
}

var _ DatabasePreview = HandlerPreview{}

// Preview implements DatabasePreview.
func (p HandlerPreview) Preview(ctx context.Context, w resolve.DatabaseWork) (dbuser.Report, int, error) {
	h := p.Handler
	cfg, ok := h.Databases[w.Database]
	if !ok {
		return dbuser.Report{}, 0, fmt.Errorf("database %q is not configured", w.Database)
	}
	pool, err := h.Pools.Get(ctx, h.Conn(cfg))
	if err != nil {
		return dbuser.Report{}, 0, fmt.Errorf("connect to database %q: %w", w.Database, err)
	}
	eng, err := dbuser.NewEngine(pool.DB, cfg)
	if err != nil {
		return dbuser.Report{}, 0, fmt.Errorf("database %q: %w", w.Database, err)
	}
	snap, err := dbuser.ReadSnapshot(ctx, eng, nil)
	if err != nil {
		return dbuser.Report{}, 0, fmt.Errorf("database %q: read ledger: %w", w.Database, err)
	}
	rep, err := dbuser.DryRun(ctx, eng, dbusers.Desired(cfg, w, snap.Ledger))
	if err != nil {
		return dbuser.Report{}, 0, fmt.Errorf("database %q: %w", w.Database, err)
	}
	return rep, len(snap.Ledger), nil
}
