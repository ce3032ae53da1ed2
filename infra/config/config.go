// Package config is the deployment configuration of ssoflow, read from one cdk.json context
// block (`-c env=dev` selects "dev"). Parse validates everything at synth time and names the key
// and what it expects, so a typo fails `cdk synth` instead of a 3 a.m. execution.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Config is one environment's deployment configuration.
type Config struct {
	Env               string  `json:"-"`
	Account           string  `json:"account,omitempty"`
	Region            string  `json:"region"`
	Prefix            string  `json:"prefix,omitempty"`
	NotificationEmail *string `json:"notificationEmail"`
	LogRetentionDays  int     `json:"logRetentionDays,omitempty"`
	LogLevel          string  `json:"logLevel,omitempty"`
	ReconcileSchedule string  `json:"reconcileSchedule,omitempty"`
	// ReconcileMaxRemoveShare is the largest share of a group's members one scheduled reconcile
	// may remove (default 0.2); a group over it is refused and notified, never emptied.
	ReconcileMaxRemoveShare float64        `json:"reconcileMaxRemoveShare,omitempty"`
	Okta                    Okta           `json:"okta"`
	IdentityCenter          IdentityCenter `json:"identityCenter"`
	DBUserNameRule          string         `json:"dbUserNameRule,omitempty"`
	// DatabaseCABundle is the path (from the repository root) of the PEM bundle the database
	// provisioner verifies RDS certificates against: Amazon's global-bundle.pem, downloaded by
	// you from https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem.
	DatabaseCABundle string     `json:"databaseCaBundle,omitempty"`
	Databases        []Database `json:"databases,omitempty"`
	Access           *Access    `json:"access,omitempty"`
	GrantMaxHours    int        `json:"grantMaxHours,omitempty"`
}

// Okta configures the Okta side.
type Okta struct {
	OrgURL string `json:"orgUrl"`
	// GroupPrefix selects Okta groups pushed to Identity Center by name (default "AWS_").
	GroupPrefix string `json:"groupPrefix,omitempty"`
	// GroupMappings maps Okta group ids to Identity Center group ids; a mapped group survives
	// renames on either side and is pushed whatever its name.
	GroupMappings map[string]string `json:"groupMappings,omitempty"`
	// TokenSecretArn names an existing secret holding the Okta API token; empty: the stack
	// creates one for you to fill.
	TokenSecretArn string `json:"tokenSecretArn,omitempty"`
	// Hook turns on the event hook endpoint (default true).
	Hook *bool `json:"hook,omitempty"`
	// LogStreamEventBusName is Okta's EventBridge log stream partner bus
	// (aws.partner/okta.com/...), an optional second source that needs no public endpoint.
	LogStreamEventBusName string `json:"logStreamEventBusName,omitempty"`
}

// IdentityCenter configures the Identity Center side.
type IdentityCenter struct {
	IdentityStoreID    string `json:"identityStoreId"`
	SCIMEndpoint       string `json:"scimEndpoint"`
	SCIMTokenSecretArn string `json:"scimTokenSecretArn,omitempty"`
	InstanceArn        string `json:"instanceArn,omitempty"`
}

// Database is one RDS instance or Aurora cluster whose users ssoflow provisions.
type Database struct {
	Name            string              `json:"name"`
	Engine          string              `json:"engine"` // mysql or postgres
	InstanceID      string              `json:"instanceId,omitempty"`
	ClusterID       string              `json:"clusterId,omitempty"`
	Endpoint        string              `json:"endpoint"`
	Port            int                 `json:"port,omitempty"`
	Database        string              `json:"database"`
	ProvisionerUser string              `json:"provisionerUser"`
	ResourceID      string              `json:"resourceId"` // db-XXXX or cluster-XXXX, for rds-db:connect
	VpcID           string              `json:"vpcId"`
	SubnetIDs       []string            `json:"subnetIds"`
	SecurityGroupID string              `json:"securityGroupId,omitempty"`
	Grants          map[string][]string `json:"grants"` // Identity Center group name → roles
	// Dialect, for mysql: "mysql8" (default) or "mariadb".
	Dialect string `json:"dialect,omitempty"`
	// RolesActiveOnLogin, for mysql: the parameter group sets activate_all_roles_on_login=ON,
	// so ssoflow does not issue SET DEFAULT ROLE.
	RolesActiveOnLogin bool `json:"rolesActiveOnLogin,omitempty"`
	// RequireSSL adds REQUIRE SSL to the MySQL users ssoflow creates (default true).
	RequireSSL *bool `json:"requireSsl,omitempty"`
	// Account and Region place the database (and its provisioner) in a workload account and
	// region; empty means the pipeline's own (the top-level account and region). See
	// docs/multi-account.md.
	Account string `json:"account,omitempty"`
	Region  string `json:"region,omitempty"`
}

var (
	reRegion     = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	reAccount    = regexp.MustCompile(`^\d{12}$`)
	rePrefix     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,30}$`)
	reStoreID    = regexp.MustCompile(`^d-[0-9a-f]{10}$`)
	reSecretArn  = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$`)
	reOktaGroup  = regexp.MustCompile(`^00g[A-Za-z0-9]{17}$`)
	reIdcGroupID = regexp.MustCompile(`^([0-9a-f]{10}-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	reSchedule   = regexp.MustCompile(`^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$`)
	reDBName     = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	reVpc        = regexp.MustCompile(`^vpc-[0-9a-f]+$`)
	reSubnet     = regexp.MustCompile(`^subnet-[0-9a-f]+$`)
	reSG         = regexp.MustCompile(`^sg-[0-9a-f]+$`)
	reResourceID = regexp.MustCompile(`^(db|cluster)-[A-Z0-9]+$`)
	reInstance   = regexp.MustCompile(`^arn:aws[a-z-]*:sso:::instance/ssoins-[0-9a-f]+$`)
	reSQLIdent   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]{0,62}$`)
	reSafePath   = regexp.MustCompile(`^[A-Za-z0-9_.-][A-Za-z0-9_./-]*$`)
)

// retentionDays are the values CloudWatch Logs accepts.
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// UserNameRules are the accepted dbUserNameRule values.
var UserNameRules = []string{"username", "username-lower", "email-local", "email-local-lower"}

// Parse decodes and validates the context block of environment env. block is what
// TryGetContext returned (a map) or raw JSON bytes.
func Parse(env string, block any) (*Config, error) {
	if block == nil {
		return nil, fmt.Errorf("cdk.json context has no %q block: add one (see README, Configuration) or pass -c env=<name> for an existing block", env)
	}
	raw, ok := block.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(block); err != nil {
			return nil, fmt.Errorf("context %q: %w", env, err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("context %q: %w (check the key names against README, Configuration)", env, err)
	}
	c.Env = env
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("context %q: %w", env, err)
	}
	return &c, nil
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = "ssoflow-" + c.Env
	}
	if c.LogRetentionDays == 0 {
		c.LogRetentionDays = 90
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.ReconcileSchedule == "" {
		c.ReconcileSchedule = "rate(1 hour)"
	}
	if c.ReconcileMaxRemoveShare == 0 {
		c.ReconcileMaxRemoveShare = 0.2
	}
	if c.Okta.GroupPrefix == "" {
		c.Okta.GroupPrefix = "AWS_"
	}
	if c.Okta.Hook == nil {
		t := true
		c.Okta.Hook = &t
	}
	if c.DBUserNameRule == "" {
		c.DBUserNameRule = "email-local-lower"
	}
	for i := range c.Databases {
		if c.Databases[i].Port == 0 {
			c.Databases[i].Port = map[string]int{"mysql": 3306, "postgres": 5432}[c.Databases[i].Engine]
		}
		if c.Databases[i].Account == "" {
			c.Databases[i].Account = c.Account
		}
		if c.Databases[i].Region == "" {
			c.Databases[i].Region = c.Region
		}
	}
}

// HookEnabled says whether the Okta event hook endpoint is deployed.
func (c *Config) HookEnabled() bool { return c.Okta.Hook == nil || *c.Okta.Hook }

func (c *Config) validate() error {
	var problems []string
	bad := func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	}
	if !reRegion.MatchString(c.Region) {
		bad("region", "must be an AWS region such as us-east-1, got %q", c.Region)
	}
	if c.Account != "" && !reAccount.MatchString(c.Account) {
		bad("account", "must be a 12-digit AWS account id, got %q", c.Account)
	}
	if !rePrefix.MatchString(c.Prefix) {
		bad("prefix", "must start with a letter and hold up to 31 letters, digits or dashes, got %q", c.Prefix)
	}
	if c.NotificationEmail != nil && !strings.Contains(*c.NotificationEmail, "@") {
		bad("notificationEmail", "must be an email address or null, got %q", *c.NotificationEmail)
	}
	if !contains(retentionDays, c.LogRetentionDays) {
		bad("logRetentionDays", "must be one of %v, got %d", retentionDays, c.LogRetentionDays)
	}
	if !contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		bad("logLevel", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if !reSchedule.MatchString(c.ReconcileSchedule) {
		bad("reconcileSchedule", "must be an EventBridge schedule expression such as rate(1 hour) or cron(0 * * * ? *), got %q", c.ReconcileSchedule)
	}
	if c.ReconcileMaxRemoveShare <= 0 || c.ReconcileMaxRemoveShare > 1 {
		bad("reconcileMaxRemoveShare", "must be a share in (0, 1], such as 0.2 for 20 %%, got %v", c.ReconcileMaxRemoveShare)
	}
	if u, err := url.Parse(c.Okta.OrgURL); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		bad("okta.orgUrl", "must be your Okta org's https URL such as https://example.okta.com, got %q", c.Okta.OrgURL)
	}
	if strings.ContainsAny(c.Okta.GroupPrefix, " \t\"") {
		bad("okta.groupPrefix", "must not contain spaces or quotes, got %q", c.Okta.GroupPrefix)
	}
	for _, k := range sortedKeys(c.Okta.GroupMappings) {
		if !reOktaGroup.MatchString(k) {
			bad("okta.groupMappings", "key %q must be an Okta group id (00g followed by 17 characters)", k)
		}
		if v := c.Okta.GroupMappings[k]; !reIdcGroupID.MatchString(v) {
			bad("okta.groupMappings", "value for %s must be an Identity Center group id (a UUID, optionally prefixed by 10 hex digits and a dash), got %q", k, v)
		}
	}
	if c.Okta.TokenSecretArn != "" && !reSecretArn.MatchString(c.Okta.TokenSecretArn) {
		bad("okta.tokenSecretArn", "must be a Secrets Manager secret ARN or empty, got %q", c.Okta.TokenSecretArn)
	}
	if c.Okta.LogStreamEventBusName != "" && !strings.HasPrefix(c.Okta.LogStreamEventBusName, "aws.partner/okta.com/") {
		bad("okta.logStreamEventBusName", "must be Okta's partner event bus name, aws.partner/okta.com/..., got %q", c.Okta.LogStreamEventBusName)
	}
	if !c.HookEnabled() && c.Okta.LogStreamEventBusName == "" {
		bad("okta.hook", "is false and okta.logStreamEventBusName is empty: no Okta events would ever arrive; enable one")
	}
	if !reStoreID.MatchString(c.IdentityCenter.IdentityStoreID) {
		bad("identityCenter.identityStoreId", "must be the identity store id, d- followed by 10 hex digits, got %q", c.IdentityCenter.IdentityStoreID)
	}
	if u, err := url.Parse(c.IdentityCenter.SCIMEndpoint); err != nil || u.Scheme != "https" || !strings.HasPrefix(u.Host, "scim.") || !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/scim/v2") {
		bad("identityCenter.scimEndpoint", "must be the SCIM endpoint shown in Identity Center, https://scim.<region>.amazonaws.com/<tenant>/scim/v2/, got %q", c.IdentityCenter.SCIMEndpoint)
	}
	if c.IdentityCenter.SCIMTokenSecretArn != "" && !reSecretArn.MatchString(c.IdentityCenter.SCIMTokenSecretArn) {
		bad("identityCenter.scimTokenSecretArn", "must be a Secrets Manager secret ARN or empty, got %q", c.IdentityCenter.SCIMTokenSecretArn)
	}
	if c.IdentityCenter.InstanceArn != "" && !reInstance.MatchString(c.IdentityCenter.InstanceArn) {
		bad("identityCenter.instanceArn", "must be arn:aws:sso:::instance/ssoins-..., got %q", c.IdentityCenter.InstanceArn)
	}
	if !contains(UserNameRules, c.DBUserNameRule) {
		bad("dbUserNameRule", "must be one of %s, got %q", strings.Join(UserNameRules, ", "), c.DBUserNameRule)
	}
	if c.DatabaseCABundle != "" {
		if !reSafePath.MatchString(c.DatabaseCABundle) {
			bad("databaseCaBundle", "must be a relative path of letters, digits, '.', '_', '-' and '/', got %q", c.DatabaseCABundle)
		} else if b, err := os.ReadFile(c.DatabaseCABundle); err != nil {
			bad("databaseCaBundle", "cannot be read (%v): download https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem there", err)
		} else if !strings.Contains(string(b), "-----BEGIN CERTIFICATE-----") {
			bad("databaseCaBundle", "%s holds no PEM certificate", c.DatabaseCABundle)
		}
	}
	seen := map[string]bool{}
	for i, d := range c.Databases {
		problems = append(problems, d.validate(fmt.Sprintf("databases[%d]", i), seen)...)
	}
	problems = append(problems, c.validatePlacement()...)
	if c.Access != nil {
		problems = append(problems, c.Access.validate(c)...)
	}
	problems = append(problems, c.validateGrant()...)
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n  "))
	}
	return nil
}

func (d Database) validate(key string, seen map[string]bool) []string {
	var p []string
	bad := func(field, format string, args ...any) {
		p = append(p, key+"."+field+": "+fmt.Sprintf(format, args...))
	}
	if !reDBName.MatchString(d.Name) {
		bad("name", "must be lower-case letters, digits and dashes starting with a letter, got %q", d.Name)
	} else if seen[d.Name] {
		bad("name", "%q is used twice; database names must be unique", d.Name)
	}
	seen[d.Name] = true
	if d.Engine != "mysql" && d.Engine != "postgres" {
		bad("engine", "must be mysql (MySQL, Aurora MySQL) or postgres (PostgreSQL, Aurora PostgreSQL), got %q", d.Engine)
	}
	if (d.InstanceID == "") == (d.ClusterID == "") {
		bad("instanceId", "set exactly one of instanceId and clusterId")
	}
	if d.Endpoint == "" || strings.ContainsAny(d.Endpoint, ":/ ") {
		bad("endpoint", "must be the database's host name (no scheme or port), got %q", d.Endpoint)
	}
	if d.Port < 1 || d.Port > 65535 {
		bad("port", "must be 1-65535, got %d", d.Port)
	}
	if !reSQLIdent.MatchString(d.Database) {
		bad("database", "must be a plain database name, got %q", d.Database)
	}
	if !reSQLIdent.MatchString(d.ProvisionerUser) {
		bad("provisionerUser", "must be a plain user name (the IAM-authenticated user ssoflow connects as), got %q", d.ProvisionerUser)
	}
	if !reResourceID.MatchString(d.ResourceID) {
		bad("resourceId", "must be the instance's DbiResourceId (db-...) or the cluster's resource id (cluster-...), used in rds-db:connect, got %q", d.ResourceID)
	}
	if !reVpc.MatchString(d.VpcID) {
		bad("vpcId", "must be a VPC id (vpc-...), got %q", d.VpcID)
	}
	if len(d.SubnetIDs) == 0 {
		bad("subnetIds", "must list the private subnets the provisioner runs in")
	}
	for _, s := range d.SubnetIDs {
		if !reSubnet.MatchString(s) {
			bad("subnetIds", "%q is not a subnet id (subnet-...)", s)
		}
	}
	if d.SecurityGroupID != "" && !reSG.MatchString(d.SecurityGroupID) {
		bad("securityGroupId", "must be the database's security group id (sg-...) or empty, got %q", d.SecurityGroupID)
	}
	if d.Dialect != "" && (d.Engine != "mysql" || (d.Dialect != "mysql8" && d.Dialect != "mariadb")) {
		bad("dialect", "is for engine mysql only: mysql8 (default) or mariadb, got %q", d.Dialect)
	}
	if len(d.Grants) == 0 {
		bad("grants", "must map at least one Identity Center group name to the roles it grants")
	}
	for _, g := range sortedKeys(d.Grants) {
		if strings.TrimSpace(g) == "" {
			bad("grants", "has an empty group name")
		}
		for _, r := range d.Grants[g] {
			if !reSQLIdent.MatchString(r) {
				bad("grants", "role %q of group %q must be a plain role name", r, g)
			}
		}
	}
	return p
}

// Groups returns the distinct Identity Center group names any database grants.
func (c *Config) Groups() []string {
	set := map[string]bool{}
	for _, d := range c.Databases {
		for g := range d.Grants {
			set[g] = true
		}
	}
	return sortedKeys(set)
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
