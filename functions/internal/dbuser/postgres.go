package dbuser

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// DefaultIAMRole is the role that lets a PostgreSQL user log in with an IAM token on RDS.
const DefaultIAMRole = "rds_iam"

// PostgresConfig configures the PostgreSQL engine.
type PostgresConfig struct {
	// IAMRole is granted to every created user; empty means DefaultIAMRole.
	IAMRole string
	// LedgerSchema holds the ledger table; empty means DefaultLedgerName.
	LedgerSchema string
	// ProvisionerUser is refused as a managed user name.
	ProvisionerUser string
	// Names derives user names; the zero value is the "username" rule.
	Names NameRule
}

// Postgres provisions IAM-authenticated users in PostgreSQL / Aurora PostgreSQL. Every change
// to one user runs in one transaction together with its ledger row.
type Postgres struct {
	db     *sql.DB
	cfg    PostgresConfig
	schema string // quoted schema
	ledger string // quoted schema.managed_users

	mu          sync.Mutex
	ledgerReady bool
}

// NewPostgres returns the engine over db (pgx stdlib), whose user needs CREATEROLE, ADMIN OPTION
// on rds_iam and on the mapped roles (PostgreSQL 16 and later grant no role without it), and
// CREATE on the database for the ledger schema: exactly docs/provisioner/postgres.sql, which the
// tests run.
func NewPostgres(db *sql.DB, cfg PostgresConfig) (*Postgres, error) {
	if cfg.IAMRole == "" {
		cfg.IAMRole = DefaultIAMRole
	}
	if cfg.LedgerSchema == "" {
		cfg.LedgerSchema = DefaultLedgerName
	}
	qs, err := QuotePostgresIdent(cfg.LedgerSchema)
	if err != nil {
		return nil, fmt.Errorf("ledger schema: %w", err)
	}
	qt, _ := QuotePostgresIdent(LedgerTable)
	return &Postgres{db: db, cfg: cfg, schema: qs, ledger: qs + "." + qt}, nil
}

// UserName derives and validates the user name for an Identity Center user.
func (p *Postgres) UserName(userName, email string) (string, error) {
	return deriveName(p.cfg.Names, KindPostgres, userName, email, p.cfg.ProvisionerUser)
}

func (p *Postgres) ensureLedger(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ledgerReady {
		return nil
	}
	stmts := []string{
		"CREATE SCHEMA IF NOT EXISTS " + p.schema,
		"CREATE TABLE IF NOT EXISTS " + p.ledger + ` (
			identity_store_user_id text PRIMARY KEY,
			db_user text NOT NULL UNIQUE,
			group_names jsonb NOT NULL,
			role_names jsonb NOT NULL,
			created_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL
		)`,
	}
	for _, s := range stmts {
		_, err := p.db.ExecContext(ctx, s)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			// Two provisioners created the schema or table at once; the other one won.
			_, err = p.db.ExecContext(ctx, s)
		}
		if err != nil {
			return fmt.Errorf("create ledger %s: %w", p.ledger, err)
		}
	}
	p.ledgerReady = true
	return nil
}

const pgTimeFormat = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`

func (p *Postgres) readLedger(ctx context.Context, q queryer, where string, args []any) ([]LedgerEntry, error) {
	stmt := "SELECT identity_store_user_id, db_user, group_names::text, role_names::text, " +
		"to_char(created_at AT TIME ZONE 'UTC', " + pgTimeFormat + "), " +
		"to_char(updated_at AT TIME ZONE 'UTC', " + pgTimeFormat + ") FROM " + p.ledger + " " + where
	return scanLedger(ctx, q, stmt, args)
}

// Snapshot reads the ledger and the existing roles among names and the ledger's users.
func (p *Postgres) Snapshot(ctx context.Context, names []string) (Snapshot, error) {
	if err := p.ensureLedger(ctx); err != nil {
		return Snapshot{}, err
	}
	ledger, err := p.readLedger(ctx, p.db, "", nil)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Ledger: make(map[string]LedgerEntry, len(ledger))}
	all := slices.Clone(names)
	for _, e := range ledger {
		snap.Ledger[e.IdentityStoreUserID] = e
		all = append(all, e.DBUser)
	}
	snap.Users, err = p.userRoles(ctx, p.db, sortedSet(all))
	return snap, err
}

// userRoles returns, for each of names that exists as a role, the roles it is a member of.
func (p *Postgres) userRoles(ctx context.Context, q queryer, names []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(names) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT u.rolname, COALESCE(r.rolname, '') FROM pg_roles u "+
		"LEFT JOIN pg_auth_members m ON m.member = u.oid LEFT JOIN pg_roles r ON r.oid = m.roleid "+
		"WHERE u.rolname = ANY($1)", names)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user, role string
		if err := rows.Scan(&user, &role); err != nil {
			return nil, fmt.Errorf("read roles: %w", err)
		}
		if _, ok := out[user]; !ok {
			out[user] = []string{}
		}
		if role != "" {
			out[user] = append(out[user], role)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	for u, r := range out {
		out[u] = sortedSet(r)
	}
	return out, nil
}

// inTx runs f in a transaction, committing when it returns nil.
func (p *Postgres) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	if err := p.ensureLedger(ctx); err != nil {
		return err
	}
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// lockedOwner returns the ledger entry for name, locking its row until the transaction ends.
func (p *Postgres) lockedOwner(ctx context.Context, tx *sql.Tx, name string) (*LedgerEntry, error) {
	es, err := p.readLedger(ctx, tx, "WHERE db_user = $1 FOR UPDATE", []any{name})
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return &es[0], nil
}

// EnsureUser creates the user (CREATE USER, GRANT rds_iam) if it does not exist, grants the
// roles it does not hold yet and records it in the ledger, all in one transaction. A user that
// exists but is not in the ledger is left alone (ErrNotManaged).
func (p *Postgres) EnsureUser(ctx context.Context, u ManagedUser) (EnsureResult, error) {
	var res EnsureResult
	user, err := QuotePostgresIdent(u.Name)
	if err != nil {
		return res, err
	}
	err = p.inTx(ctx, func(tx *sql.Tx) error {
		res = EnsureResult{}
		entry, err := p.lockedOwner(ctx, tx, u.Name)
		if err != nil {
			return err
		}
		current, err := p.userRoles(ctx, tx, []string{u.Name})
		if err != nil {
			return err
		}
		held, exists := current[u.Name]
		if err := checkOwnership(u, entry, exists); err != nil {
			return err
		}
		roles := sortedSet(u.Roles)
		groups, err := encodeList(sortedSet(u.Groups))
		if err != nil {
			return err
		}
		rolesJSON, err := encodeList(roles)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+p.ledger+
			" (identity_store_user_id, db_user, group_names, role_names, created_at, updated_at)"+
			" VALUES ($1, $2, $3::jsonb, $4::jsonb, now(), now()) ON CONFLICT (identity_store_user_id) DO UPDATE SET"+
			" db_user = EXCLUDED.db_user, group_names = EXCLUDED.group_names, role_names = EXCLUDED.role_names,"+
			" updated_at = now()", u.IdentityStoreUserID, u.Name, groups, rolesJSON); err != nil {
			return fmt.Errorf("record %q in ledger: %w", u.Name, err)
		}
		if !exists {
			if _, err := tx.ExecContext(ctx, "CREATE USER "+user); err != nil {
				return fmt.Errorf("create user %s: %w", user, err)
			}
			res.Created = true
		}
		for _, r := range minus(sortedSet(append(roles, p.cfg.IAMRole)), held) {
			qr, err := QuotePostgresIdent(r)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "GRANT "+qr+" TO "+user); err != nil {
				return pgRoleError(fmt.Sprintf("grant role %s to %s", qr, user), err)
			}
			res.Granted = append(res.Granted, r)
		}
		return nil
	})
	if err != nil {
		return EnsureResult{}, err
	}
	return res, nil
}

// RevokeRoles revokes those of roles the user holds and returns them; the user must be in the
// ledger (ErrNotManaged otherwise).
func (p *Postgres) RevokeRoles(ctx context.Context, name string, roles []string) ([]string, error) {
	user, err := QuotePostgresIdent(name)
	if err != nil {
		return nil, err
	}
	var revoked []string
	err = p.inTx(ctx, func(tx *sql.Tx) error {
		revoked = nil
		entry, err := p.lockedOwner(ctx, tx, name)
		if err != nil {
			return err
		}
		if entry == nil {
			return fmt.Errorf("revoke from %q: %w", name, ErrNotManaged)
		}
		current, err := p.userRoles(ctx, tx, []string{name})
		if err != nil {
			return err
		}
		for _, r := range intersect(sortedSet(roles), current[name]) {
			qr, err := QuotePostgresIdent(r)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "REVOKE "+qr+" FROM "+user); err != nil {
				return fmt.Errorf("revoke role %s from %s: %w", qr, user, err)
			}
			revoked = append(revoked, r)
		}
		left, err := encodeList(minus(entry.Roles, roles))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE "+p.ledger+" SET role_names = $1::jsonb, updated_at = now() WHERE db_user = $2", left, name); err != nil {
			return fmt.Errorf("update ledger for %q: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return revoked, nil
}

// DropUser drops a user the ledger has and removes it from the ledger in one transaction. It
// never drops or reassigns objects: a user that owns objects (or holds privileges on them) fails
// with ErrOwnsObjects and stays, as does its ledger row. A user not in the ledger is never
// dropped (ErrNotManaged).
func (p *Postgres) DropUser(ctx context.Context, name string) error {
	user, err := QuotePostgresIdent(name)
	if err != nil {
		return err
	}
	return p.inTx(ctx, func(tx *sql.Tx) error {
		entry, err := p.lockedOwner(ctx, tx, name)
		if err != nil {
			return err
		}
		if entry == nil {
			return fmt.Errorf("drop %q: %w", name, ErrNotManaged)
		}
		if _, err := tx.ExecContext(ctx, "DROP USER IF EXISTS "+user); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "2BP01" { // dependent_objects_still_exist
				return fmt.Errorf("drop user %s: %w: %s (%s); reassign or drop them, then replay", user, ErrOwnsObjects, pe.Message, pe.Detail)
			}
			return fmt.Errorf("drop user %s: %w", user, err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+p.ledger+" WHERE db_user = $1", name); err != nil {
			return fmt.Errorf("remove %q from ledger: %w", name, err)
		}
		return nil
	})
}

// pgRoleError turns "role does not exist" into a ConfigError: the grants mapping names a role
// the database does not have.
func pgRoleError(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42704" { // undefined_object
		return &errs.ConfigError{Err: fmt.Errorf("%s: the role does not exist in the database (fix the grants mapping or create the role): %w", what, err)}
	}
	return fmt.Errorf("%s: %w", what, err)
}
