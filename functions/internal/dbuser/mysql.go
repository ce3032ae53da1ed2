package dbuser

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/go-sql-driver/mysql"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
)

// DefaultMySQLAuthClause makes an RDS MySQL/MariaDB user log in with an IAM token.
const DefaultMySQLAuthClause = "IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"

// MySQLConfig configures the MySQL/MariaDB engine.
type MySQLConfig struct {
	// Dialect is DialectMySQL8 (default) or DialectMariaDB.
	Dialect string
	// AuthClause follows the account in CREATE USER; empty means DefaultMySQLAuthClause. It is
	// trusted configuration, never built from input (tests use a password clause, since MariaDB
	// has no AWSAuthenticationPlugin).
	AuthClause string
	// DisableRequireSSL leaves REQUIRE SSL off the created users (on by default).
	DisableRequireSSL bool
	// RolesActiveOnLogin skips SET DEFAULT ROLE: for servers that activate every granted role
	// at login (MySQL 8 with activate_all_roles_on_login=ON in the RDS parameter group, and
	// go-mysql-server, which has no SET DEFAULT ROLE).
	RolesActiveOnLogin bool
	// LedgerDatabase holds the ledger table; empty means DefaultLedgerName.
	LedgerDatabase string
	// ProvisionerUser is refused as a managed user name.
	ProvisionerUser string
	// Names derives user names; the zero value is the "username" rule.
	Names NameRule
}

// MySQL provisions IAM-authenticated users in MySQL 8 / Aurora MySQL or MariaDB.
type MySQL struct {
	db     *sql.DB
	cfg    MySQLConfig
	ledger string // quoted `db`.`managed_users`
	ledgDB string // quoted `db`
	sql    mysqlStatements

	mu          sync.Mutex
	ledgerReady bool
}

// NewMySQL returns the engine over db, whose user holds the privileges of
// docs/provisioner/mysql8.sql or mariadb.sql (the tests run the MariaDB one): CREATE USER, the
// mapped roles WITH ADMIN OPTION, SELECT on the catalog columns it reads, the ledger database,
// and on MariaDB write access to the mysql database for SET DEFAULT ROLE … FOR.
func NewMySQL(db *sql.DB, cfg MySQLConfig) (*MySQL, error) {
	if cfg.Dialect == "" {
		cfg.Dialect = DialectMySQL8
	}
	if cfg.Dialect != DialectMySQL8 && cfg.Dialect != DialectMariaDB {
		return nil, fmt.Errorf("mysql dialect %q: valid dialects are %s, %s", cfg.Dialect, DialectMySQL8, DialectMariaDB)
	}
	if cfg.AuthClause == "" {
		cfg.AuthClause = DefaultMySQLAuthClause
	}
	if cfg.LedgerDatabase == "" {
		cfg.LedgerDatabase = DefaultLedgerName
	}
	qdb, err := QuoteMySQLIdent(cfg.LedgerDatabase)
	if err != nil {
		return nil, fmt.Errorf("ledger database: %w", err)
	}
	qt, _ := QuoteMySQLIdent(LedgerTable)
	stmts := mysqlStatements{dialect: cfg.Dialect, authClause: cfg.AuthClause, requireSSL: !cfg.DisableRequireSSL}
	return &MySQL{db: db, cfg: cfg, ledger: qdb + "." + qt, ledgDB: qdb, sql: stmts}, nil
}

// UserName derives and validates the user name for an Identity Center user.
func (m *MySQL) UserName(userName, email string) (string, error) {
	return deriveName(m.cfg.Names, KindMySQL, userName, email, m.cfg.ProvisionerUser)
}

func deriveName(rule NameRule, kind Kind, userName, email, provisioner string) (string, error) {
	name, err := rule.Derive(userName, email)
	if err != nil {
		var ne *InvalidNameError
		if errors.As(err, &ne) {
			ne.Engine = kind
		}
		return "", err
	}
	return name, ValidateName(name, kind, provisioner)
}

func (m *MySQL) ensureLedger(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ledgerReady {
		return nil
	}
	stmts := m.sql.createLedger(m.ledgDB, m.ledger)
	for _, s := range stmts {
		if _, err := m.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create ledger %s: %w", m.ledger, err)
		}
	}
	m.ledgerReady = true
	return nil
}

// Snapshot reads the ledger and the existing users among names and the ledger's users.
func (m *MySQL) Snapshot(ctx context.Context, names []string) (Snapshot, error) {
	if err := m.ensureLedger(ctx); err != nil {
		return Snapshot{}, err
	}
	ledger, err := m.readLedger(ctx, "", nil)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Ledger: make(map[string]LedgerEntry, len(ledger))}
	all := slices.Clone(names)
	for _, e := range ledger {
		snap.Ledger[e.IdentityStoreUserID] = e
		all = append(all, e.DBUser)
	}
	snap.Users, err = m.userRoles(ctx, sortedSet(all))
	return snap, err
}

const mysqlTimeFormat = "'%Y-%m-%dT%H:%i:%s.%fZ'"

func (m *MySQL) readLedger(ctx context.Context, where string, args []any) ([]LedgerEntry, error) {
	q := "SELECT identity_store_user_id, db_user, group_names, role_names, DATE_FORMAT(created_at, " +
		mysqlTimeFormat + "), DATE_FORMAT(updated_at, " + mysqlTimeFormat + ") FROM " + m.ledger + " " + where
	return scanLedger(ctx, m.db, q, args)
}

// userRoles returns, for each of names that exists as 'name'@'%', the roles granted to it.
func (m *MySQL) userRoles(ctx context.Context, names []string) (map[string][]string, error) {
	out := map[string][]string{}
	for chunk := range slices.Chunk(names, 500) {
		args := []any{mysqlAccountHost}
		for _, n := range chunk {
			args = append(args, n)
		}
		rows, err := m.db.QueryContext(ctx, m.sql.userRoles(len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("read users and roles: %w", err)
		}
		for rows.Next() {
			var user, role string
			if err := rows.Scan(&user, &role); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read users and roles: %w", err)
			}
			if _, ok := out[user]; !ok {
				out[user] = []string{}
			}
			if role != "" {
				out[user] = append(out[user], role)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read users and roles: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read users and roles: %w", err)
		}
	}
	for u, r := range out {
		out[u] = sortedSet(r)
	}
	return out, nil
}

// owner returns the ledger entry for name, if any.
func (m *MySQL) owner(ctx context.Context, name string) (*LedgerEntry, error) {
	es, err := m.readLedger(ctx, "WHERE db_user = ?", []any{name})
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return &es[0], nil
}

// EnsureUser creates the user if it does not exist (recording it in the ledger first), grants
// the roles it does not hold yet and makes them its default roles. A user that exists but is not
// in the ledger is left alone (ErrNotManaged).
func (m *MySQL) EnsureUser(ctx context.Context, u ManagedUser) (EnsureResult, error) {
	var res EnsureResult
	if err := m.ensureLedger(ctx); err != nil {
		return res, err
	}
	account, err := QuoteMySQLAccount(u.Name)
	if err != nil {
		return res, err
	}
	entry, err := m.owner(ctx, u.Name)
	if err != nil {
		return res, err
	}
	current, err := m.userRoles(ctx, []string{u.Name})
	if err != nil {
		return res, err
	}
	held, exists := current[u.Name]
	if err := checkOwnership(u, entry, exists); err != nil {
		return res, err
	}
	roles := sortedSet(u.Roles)
	groups, err := encodeList(sortedSet(u.Groups))
	if err != nil {
		return res, err
	}
	rolesJSON, err := encodeList(roles)
	if err != nil {
		return res, err
	}
	// The ledger row comes first: a crash after CREATE USER must not leave an unmanaged user.
	if _, err := m.db.ExecContext(ctx, "INSERT INTO "+m.ledger+
		" (identity_store_user_id, db_user, group_names, role_names, created_at, updated_at)"+
		" VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE"+
		" db_user = VALUES(db_user), group_names = VALUES(group_names), role_names = VALUES(role_names),"+
		" updated_at = UTC_TIMESTAMP(6)", u.IdentityStoreUserID, u.Name, groups, rolesJSON); err != nil {
		return res, fmt.Errorf("record %q in ledger: %w", u.Name, err)
	}
	if !exists {
		if _, err := m.db.ExecContext(ctx, m.sql.createUser(account)); err != nil {
			return res, fmt.Errorf("create user %s: %w", account, err)
		}
		res.Created = true
	}
	for _, r := range minus(roles, held) {
		qr, err := QuoteMySQLIdent(r)
		if err != nil {
			return res, err
		}
		if _, err := m.db.ExecContext(ctx, m.sql.grantRole(qr, account)); err != nil {
			return res, mysqlRoleError(fmt.Sprintf("grant role %s to %s", qr, account), err)
		}
		res.Granted = append(res.Granted, r)
	}
	if res.Created || len(res.Granted) > 0 {
		if err := m.setDefaultRoles(ctx, account, roles); err != nil {
			return res, err
		}
	}
	return res, nil
}

// checkOwnership refuses to touch a user the ledger does not give to u.
func checkOwnership(u ManagedUser, entry *LedgerEntry, exists bool) error {
	if entry != nil && entry.IdentityStoreUserID != u.IdentityStoreUserID {
		return fmt.Errorf("user %q (Identity Center user %s): %w (%s)", u.Name, u.IdentityStoreUserID, ErrNameConflict, entry.IdentityStoreUserID)
	}
	if entry == nil && exists {
		return fmt.Errorf("user %q: %w", u.Name, ErrNotManaged)
	}
	return nil
}

// setDefaultRoles makes roles active at login. MySQL 8 takes the list; MariaDB has a single
// default role, so the first role (sorted) is the default and the others need SET ROLE.
func (m *MySQL) setDefaultRoles(ctx context.Context, account string, roles []string) error {
	if m.cfg.RolesActiveOnLogin {
		return nil
	}
	q, err := quoteAll(QuoteMySQLIdent, roles)
	if err != nil {
		return err
	}
	stmt := m.sql.setDefaultRoles(account, q)
	if _, err := m.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("set default roles of %s: %w", account, err)
	}
	return nil
}

// RevokeRoles revokes those of roles the user holds and returns them; the user must be in the
// ledger (ErrNotManaged otherwise).
func (m *MySQL) RevokeRoles(ctx context.Context, name string, roles []string) ([]string, error) {
	if err := m.ensureLedger(ctx); err != nil {
		return nil, err
	}
	account, err := QuoteMySQLAccount(name)
	if err != nil {
		return nil, err
	}
	entry, err := m.owner(ctx, name)
	if err != nil {
		return nil, err
	}
	if entry == nil {
		return nil, fmt.Errorf("revoke from %q: %w", name, ErrNotManaged)
	}
	current, err := m.userRoles(ctx, []string{name})
	if err != nil {
		return nil, err
	}
	var revoked []string
	for _, r := range intersect(sortedSet(roles), current[name]) {
		qr, err := QuoteMySQLIdent(r)
		if err != nil {
			return revoked, err
		}
		if _, err := m.db.ExecContext(ctx, m.sql.revokeRole(qr, account)); err != nil {
			return revoked, fmt.Errorf("revoke role %s from %s: %w", qr, account, err)
		}
		revoked = append(revoked, r)
	}
	left := minus(entry.Roles, roles)
	leftJSON, err := encodeList(left)
	if err != nil {
		return revoked, err
	}
	if _, err := m.db.ExecContext(ctx, "UPDATE "+m.ledger+" SET role_names = ?, updated_at = UTC_TIMESTAMP(6) WHERE db_user = ?", leftJSON, name); err != nil {
		return revoked, fmt.Errorf("update ledger for %q: %w", name, err)
	}
	if _, exists := current[name]; exists && len(revoked) > 0 {
		if err := m.setDefaultRoles(ctx, account, left); err != nil {
			return revoked, err
		}
	}
	return revoked, nil
}

// DropUser drops a user the ledger has, then removes it from the ledger. A user not in the
// ledger is never dropped (ErrNotManaged).
func (m *MySQL) DropUser(ctx context.Context, name string) error {
	if err := m.ensureLedger(ctx); err != nil {
		return err
	}
	account, err := QuoteMySQLAccount(name)
	if err != nil {
		return err
	}
	entry, err := m.owner(ctx, name)
	if err != nil {
		return err
	}
	if entry == nil {
		return fmt.Errorf("drop %q: %w", name, ErrNotManaged)
	}
	if _, err := m.db.ExecContext(ctx, m.sql.dropUser(account)); err != nil {
		var me *mysql.MySQLError
		if errors.As(err, &me) && me.Number == 4006 { // ER_CANNOT_USER_REFERENCED_AS_DEFINER
			return fmt.Errorf("drop user %s: %w: %v", account, ErrOwnsObjects, err)
		}
		return fmt.Errorf("drop user %s: %w", account, err)
	}
	if _, err := m.db.ExecContext(ctx, "DELETE FROM "+m.ledger+" WHERE db_user = ?", name); err != nil {
		return fmt.Errorf("remove %q from ledger: %w", name, err)
	}
	return nil
}

// mysqlRoleError turns "no such role" into a ConfigError: the grants mapping names a role the
// database does not have, and retrying will not create it.
func mysqlRoleError(what string, err error) error {
	var me *mysql.MySQLError
	// 1959 ER_INVALID_ROLE (MariaDB), 3523 ER_UNKNOWN_AUTHORIZATION_ID (MySQL 8).
	if errors.As(err, &me) && (me.Number == 1959 || me.Number == 3523) {
		return &errs.ConfigError{Err: fmt.Errorf("%s: the role does not exist in the database (fix the grants mapping or create the role): %w", what, err)}
	}
	return fmt.Errorf("%s: %w", what, err)
}
