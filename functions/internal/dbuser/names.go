// Package dbuser turns Identity Center group membership into RDS database users that log in
// with IAM authentication (MySQL/Aurora MySQL/MariaDB and PostgreSQL/Aurora PostgreSQL).
//
// Every identifier that reaches SQL is first validated (ValidateName) and then quoted by exactly
// one function per engine (quote.go). The provisioner records every user it creates in a ledger
// table inside the target database and never revokes from or drops a user that is not in it.
package dbuser

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is a database engine family; it decides name limits and SQL dialect.
type Kind string

// Engine kinds, as they appear in DatabaseConfig.Engine.
const (
	KindMySQL    Kind = "mysql"
	KindPostgres Kind = "postgres"
)

// Name limits of the engines: MySQL counts characters, PostgreSQL bytes (NAMEDATALEN-1; longer
// identifiers are silently truncated by the server, so they are refused here first).
const (
	MaxMySQLUserChars     = 32
	MaxPostgresIdentBytes = 63
)

// Rules of ValidateName, reported in InvalidNameError.Rule.
const (
	RuleEmpty       = "empty"
	RuleLength      = "length"
	RuleCharacter   = "character"
	RuleLeadingDash = "leading-dash"
	RuleReserved    = "reserved"
	RuleSource      = "source" // the naming rule had nothing to derive from (e.g. no email)
)

// InvalidNameError says why a database user name was refused. The dbusers Lambda reports it as
// errs.InvalidInputError: the name will never become valid by retrying.
type InvalidNameError struct {
	Name   string
	Engine Kind
	Rule   string // one of the Rule* constants
	Detail string
}

func (e *InvalidNameError) Error() string {
	eng := string(e.Engine)
	if eng == "" {
		eng = "any engine"
	}
	return fmt.Sprintf("database user name %q refused for %s (rule %s): %s", e.Name, eng, e.Rule, e.Detail)
}

// reservedNames are accounts and roles that belong to the engine or to RDS; compared
// case-insensitively. Names starting with "pg_" are reserved by PostgreSQL as well.
var reservedNames = map[string]bool{
	// MySQL / MariaDB
	"root": true, "mysql.sys": true, "mysql.session": true, "mysql.infoschema": true,
	"mariadb.sys": true, "mysql": true, "debian-sys-maint": true,
	// RDS
	"rdsadmin": true, "rdsrepladmin": true, "rdsproxyadmin": true, "rds_superuser": true,
	"rds_superuser_role": true, "rds_iam": true, "rds_replication": true, "rds_password": true,
	"rds_ad": true, "rdstopmgr": true, "rdswriteforwarduser": true, "rds_extension": true,
	// PostgreSQL
	"postgres": true, "public": true, "none": true, "current_user": true, "session_user": true,
	"current_role": true,
}

// ValidateName checks that name is a safe user name for the engine: not empty, only ASCII
// letters, digits and _ . - @ +, not starting with '-', within the engine's length limit, and
// not a reserved account (including the provisioner's own user, given in extraReserved).
// It never truncates or rewrites.
func ValidateName(name string, kind Kind, extraReserved ...string) error {
	bad := func(rule, format string, args ...any) error {
		return &InvalidNameError{Name: name, Engine: kind, Rule: rule, Detail: fmt.Sprintf(format, args...)}
	}
	if name == "" {
		return bad(RuleEmpty, "the name is empty")
	}
	if !utf8.ValidString(name) {
		return bad(RuleCharacter, "the name is not valid UTF-8")
	}
	for i, r := range name {
		if !allowedRune(r) {
			return bad(RuleCharacter, "character %q at byte %d is not allowed (allowed: ASCII letters, digits, _ . - @ +)", r, i)
		}
	}
	if name[0] == '-' {
		return bad(RuleLeadingDash, "the name must not start with '-'")
	}
	switch kind {
	case KindMySQL:
		if n := utf8.RuneCountInString(name); n > MaxMySQLUserChars {
			return bad(RuleLength, "%d characters, MySQL allows at most %d", n, MaxMySQLUserChars)
		}
	case KindPostgres:
		if len(name) > MaxPostgresIdentBytes {
			return bad(RuleLength, "%d bytes, PostgreSQL allows at most %d (longer names are truncated)", len(name), MaxPostgresIdentBytes)
		}
	default:
		return bad(RuleLength, "unknown engine %q", kind)
	}
	lower := strings.ToLower(name)
	if reservedNames[lower] || (kind == KindPostgres && strings.HasPrefix(lower, "pg_")) {
		return bad(RuleReserved, "the name belongs to the engine or to RDS")
	}
	for _, r := range extraReserved {
		if r != "" && strings.EqualFold(r, name) {
			return bad(RuleReserved, "the name is the provisioner's own user")
		}
	}
	return nil
}

func allowedRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r == '_', r == '.', r == '-', r == '@', r == '+':
		return true
	}
	return false
}

// NameRule derives the database user name from an Identity Center user.
type NameRule struct {
	source string // "username" or "email-local"
	lower  bool
}

// NameRules lists the valid rule strings.
var NameRules = []string{"username", "username-lower", "email-local", "email-local-lower"}

// DefaultNameRule is the rule used when the configuration names none: the Identity Center
// UserName as is.
const DefaultNameRule = "username"

// ParseNameRule parses one of NameRules; "" means DefaultNameRule.
func ParseNameRule(s string) (NameRule, error) {
	if s == "" {
		s = DefaultNameRule
	}
	src, lower := s, false
	if t, ok := strings.CutSuffix(s, "-lower"); ok {
		src, lower = t, true
	}
	if src != "username" && src != "email-local" {
		return NameRule{}, fmt.Errorf("unknown user name rule %q: valid rules are %s", s, strings.Join(NameRules, ", "))
	}
	return NameRule{source: src, lower: lower}, nil
}

// String returns the rule string ParseNameRule accepts.
func (r NameRule) String() string {
	s := r.source
	if s == "" {
		s = "username"
	}
	if r.lower {
		s += "-lower"
	}
	return s
}

// Derive returns the database user name for an Identity Center user. It does not validate the
// result (ValidateName does): lower-casing maps ASCII letters only, so non-ASCII input stays
// non-ASCII and is refused rather than folded into a look-alike.
func (r NameRule) Derive(userName, email string) (string, error) {
	var name string
	switch r.source {
	case "", "username":
		name = userName
		if name == "" {
			return "", &InvalidNameError{Rule: RuleSource, Detail: "the Identity Center user has no UserName"}
		}
	case "email-local":
		at := strings.LastIndexByte(email, '@')
		if at <= 0 {
			return "", &InvalidNameError{Name: email, Rule: RuleSource, Detail: fmt.Sprintf("rule %s needs an email address with a local part", r)}
		}
		name = email[:at]
	default:
		return "", fmt.Errorf("name rule %q not initialised by ParseNameRule", r.source)
	}
	if r.lower {
		name = asciiLower(name)
	}
	return name, nil
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
