package dbuser

import (
	"context"
	"fmt"
	"slices"
)

// ReadSnapshot is Snapshot without creating the ledger: when the ledger table does not exist,
// the ledger is empty. It only reads.
func (m *MySQL) ReadSnapshot(ctx context.Context, names []string) (Snapshot, error) {
	var n int
	if err := m.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
		m.cfg.LedgerDatabase, LedgerTable).Scan(&n); err != nil {
		return Snapshot{}, fmt.Errorf("look for ledger %s: %w", m.ledger, err)
	}
	var ledger []LedgerEntry
	if n > 0 {
		var err error
		if ledger, err = m.readLedger(ctx, "", nil); err != nil {
			return Snapshot{}, err
		}
	}
	return withUsers(ctx, ledger, names, m.userRoles)
}

// ReadSnapshot is Snapshot without creating the ledger: when the ledger table does not exist,
// the ledger is empty. It only reads.
func (p *Postgres) ReadSnapshot(ctx context.Context, names []string) (Snapshot, error) {
	var exists bool
	if err := p.db.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", p.ledger).Scan(&exists); err != nil {
		return Snapshot{}, fmt.Errorf("look for ledger %s: %w", p.ledger, err)
	}
	var ledger []LedgerEntry
	if exists {
		var err error
		if ledger, err = p.readLedger(ctx, p.db, "", nil); err != nil {
			return Snapshot{}, err
		}
	}
	return withUsers(ctx, ledger, names, func(ctx context.Context, names []string) (map[string][]string, error) {
		return p.userRoles(ctx, p.db, names)
	})
}

// withUsers is the snapshot of ledger and of the existing users among names and the ledger's.
func withUsers(ctx context.Context, ledger []LedgerEntry, names []string, roles func(context.Context, []string) (map[string][]string, error)) (Snapshot, error) {
	snap := Snapshot{Ledger: make(map[string]LedgerEntry, len(ledger))}
	all := slices.Clone(names)
	for _, e := range ledger {
		snap.Ledger[e.IdentityStoreUserID] = e
		all = append(all, e.DBUser)
	}
	var err error
	snap.Users, err = roles(ctx, sortedSet(all))
	return snap, err
}
