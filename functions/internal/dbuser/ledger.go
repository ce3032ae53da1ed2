package dbuser

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The ledger is the table managed_users in the target database itself (MySQL: database
// ssoflow; PostgreSQL: schema ssoflow), one row per user ssoflow created. It is the only
// authority for revoking and dropping: a user that is not in it is never touched.

// LedgerTable is the ledger table's name inside the ledger database/schema.
const LedgerTable = "managed_users"

// LedgerEntry is one row of the ledger.
type LedgerEntry struct {
	IdentityStoreUserID string    `json:"identityStoreUserId"`
	DBUser              string    `json:"dbUser"`
	Groups              []string  `json:"groups"` // the Identity Center groups that granted access
	Roles               []string  `json:"roles"`  // the roles ssoflow granted (and may revoke)
	CreatedAt           time.Time `json:"createdAt"`
	UpdatedAt           time.Time `json:"updatedAt"`
}

// ManagedUser is what EnsureUser makes true: the user exists, holds Roles, and the ledger says
// ssoflow manages it for IdentityStoreUserID because of Groups.
type ManagedUser struct {
	IdentityStoreUserID string
	Name                string
	Groups              []string
	Roles               []string
}

// EnsureResult says what EnsureUser changed.
type EnsureResult struct {
	Created bool
	Granted []string
}

// Snapshot is the state Apply plans from: the whole ledger and the existing users among the
// names asked for, with the roles each holds now.
type Snapshot struct {
	Ledger map[string]LedgerEntry // by identity store user id
	Users  map[string][]string    // db user name → roles it holds (present key: the user exists)
}

// Errors of the engines; test with errors.Is.
var (
	// ErrNotManaged: the user exists but is not in the ledger, so ssoflow leaves it alone.
	ErrNotManaged = errors.New("exists, not managed by ssoflow")
	// ErrNameConflict: the ledger has the name for a different Identity Center user.
	ErrNameConflict = errors.New("name is managed by ssoflow for another Identity Center user")
	// ErrOwnsObjects: the user owns objects (or holds privileges on them); ssoflow never drops
	// or reassigns objects, a person has to.
	ErrOwnsObjects = errors.New("user owns database objects or holds privileges on them; ssoflow never drops objects")
)

func encodeList(s []string) (string, error) {
	if s == nil {
		s = []string{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("encode ledger list: %w", err)
	}
	return string(b), nil
}

func decodeList(s string) ([]string, error) {
	var out []string
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("decode ledger list %q: %w", s, err)
	}
	return sortedSet(out), nil
}

// minus returns the elements of a not in b.
func minus(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// intersect returns the elements of a also in b.
func intersect(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = sortedSet(a), sortedSet(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scanLedger runs q, which selects identity_store_user_id, db_user, group_names, role_names and
// the two timestamps formatted as RFC 3339 UTC text, and returns the entries.
func scanLedger(ctx context.Context, db queryer, q string, args []any) ([]LedgerEntry, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	defer rows.Close()
	var out []LedgerEntry
	for rows.Next() {
		var e LedgerEntry
		var groups, roles, created, updated string
		if err := rows.Scan(&e.IdentityStoreUserID, &e.DBUser, &groups, &roles, &created, &updated); err != nil {
			return nil, fmt.Errorf("read ledger: %w", err)
		}
		if e.Groups, err = decodeList(groups); err != nil {
			return nil, err
		}
		if e.Roles, err = decodeList(roles); err != nil {
			return nil, err
		}
		if e.CreatedAt, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return nil, fmt.Errorf("ledger created_at %q: %w", created, err)
		}
		if e.UpdatedAt, err = time.Parse(time.RFC3339Nano, updated); err != nil {
			return nil, fmt.Errorf("ledger updated_at %q: %w", updated, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return out, nil
}
