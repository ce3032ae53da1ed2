package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/dbusers"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/reconcilejob"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

// Environment variables only the CLI reads: the tokens come from the environment (never a
// flag, which shell history and process lists would show), the endpoint override is for
// emulators.
const (
	envOktaToken        = "SSOFLOW_OKTA_TOKEN"
	envSCIMToken        = "SSOFLOW_SCIM_TOKEN"
	envIdentityEndpoint = "SSOFLOW_IDENTITY_STORE_ENDPOINT"
	envDatabasesFile    = "SSOFLOW_DATABASES_FILE"
)

func init() {
	register(Command{Name: "reconcile", Summary: "compare Okta with Identity Center and repair the differences (--dry-run: show the plan)", Run: runReconcile})
}

func runReconcile(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "reconcile", "[--dry-run] [--json] [--force] [--max-remove 0.2] [--databases FILE --ca FILE]\n\n"+
		"Tokens are read from $"+envOktaToken+" and $"+envSCIMToken+". With --databases, each database is read (and\n"+
		"converged) as its provisionerUser with an IAM token from your AWS credentials: you need\n"+
		"rds-db:connect on arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<provisionerUser>.")
	dry := fs.Bool("dry-run", false, "show the plan, change nothing")
	asJSON := fs.Bool("json", false, "print the plan (and what was applied) as JSON instead of a table")
	force := fs.Bool("force", false, "apply removals beyond the guard (after checking Okta is right)")
	maxRemove := fs.Float64("max-remove", reconcile.DefaultMaxRemoveShare, "refuse a group when more than this share of its members would be removed (or $"+envnames.ReconcileMaxRemoveShare+")")
	oktaURL := fs.String("okta-url", "", "Okta org URL (default $"+envnames.OktaOrgURL+")")
	scimURL := fs.String("scim-url", "", "Identity Center SCIM endpoint (default $"+envnames.SCIMURL+")")
	prefix := fs.String("group-prefix", "", "Okta groups named with this prefix are reconciled (default $"+envnames.GroupPrefix+", else AWS_)")
	storeID := fs.String("identity-store-id", "", "identity store id d-xxxxxxxxxx (default $"+envnames.IdentityStoreID+")")
	dbFile := fs.String("databases", "", "JSON list of databases as the dbusers function reads $"+envnames.Databases+
		" (name, engine, host, port, grants, …): plan and converge their users too; needs rds-db:connect as each provisionerUser (default $"+envDatabasesFile+")")
	caFile := fs.String("ca", "", "RDS CA bundle to verify the databases' TLS certificates (default $"+envRDSCA+", else the system pool)")
	endpoint := fs.String("identity-store-endpoint", "", "identity store endpoint URL, e.g. an emulator's, used with static local credentials (default $"+envIdentityEndpoint+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return ErrUsage
	}
	share := *maxRemove
	if v := env.Getenv(envnames.ReconcileMaxRemoveShare); v != "" && !flagSet(fs, "max-remove") {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s = %q is not a number", envnames.ReconcileMaxRemoveShare, v)
		}
		share = f
	}
	if share <= 0 || share > 1 {
		return fmt.Errorf("--max-remove %v: want a share in (0, 1], e.g. 0.2", share)
	}
	cfg := reconcile.Config{
		IdentityStoreID: fromEnv(env, *storeID, envnames.IdentityStoreID),
		GroupPrefix:     fromEnv(env, *prefix, envnames.GroupPrefix),
		MaxRemoveShare:  share, Force: *force,
	}
	if cfg.GroupPrefix == "" {
		cfg.GroupPrefix = "AWS_"
	}
	if m := env.Getenv(envnames.GroupMappings); m != "" {
		if err := json.Unmarshal([]byte(m), &cfg.GroupMappings); err != nil {
			return fmt.Errorf("%s is not a JSON object of Okta group id → Identity Center group id: %w", envnames.GroupMappings, err)
		}
	}
	setup := reconcilejob.Setup{
		OktaURL: fromEnv(env, *oktaURL, envnames.OktaOrgURL), OktaToken: fromEnv(env, "", envOktaToken),
		SCIMURL: fromEnv(env, *scimURL, envnames.SCIMURL), SCIMToken: fromEnv(env, "", envSCIMToken),
		IdentityStoreEndpoint: fromEnv(env, *endpoint, envIdentityEndpoint),
		Log:                   logging.New(env.Stderr, "warn"),
	}
	var missing []string
	for _, v := range []struct{ value, what string }{
		{setup.OktaURL, "--okta-url or $" + envnames.OktaOrgURL}, {setup.OktaToken, "$" + envOktaToken},
		{setup.SCIMURL, "--scim-url or $" + envnames.SCIMURL}, {setup.SCIMToken, "$" + envSCIMToken},
		{cfg.IdentityStoreID, "--identity-store-id or $" + envnames.IdentityStoreID},
	} {
		if v.value == "" {
			missing = append(missing, v.what)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %v", missing)
	}
	if setup.IdentityStoreEndpoint != "" {
		setup.AWS, setup.RequestsPerSecond = awsconf.Local(), -1 // an emulator: no shared service rate to spare
	} else {
		c, err := awsconf.Load(ctx)
		if err != nil {
			return err
		}
		setup.AWS = c
	}
	r := setup.Reconciler(cfg)
	r.Progress = func(format string, a ...any) { fmt.Fprintf(env.Stderr, format+"\n", a...) }
	if path := fromEnv(env, *dbFile, envDatabasesFile); path != "" {
		dbs, closeDBs, err := databases(env, r, setup, path, expandHome(env, fromEnv(env, *caFile, envRDSCA)), *dry)
		if err != nil {
			return err
		}
		defer closeDBs()
		r.Databases = dbs
	}
	plan, err := r.Plan(ctx)
	if err != nil {
		return err
	}
	if !*asJSON {
		if err := plan.WriteTable(env.Stdout); err != nil {
			return fmt.Errorf("print the plan: %w", err)
		}
	}
	var rep *reconcile.Report
	if !*dry {
		got, err := r.Apply(ctx, plan)
		if err != nil {
			return err
		}
		rep = &got
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Plan   *reconcile.Plan   `json:"plan"`
			Report *reconcile.Report `json:"applied,omitempty"`
		}{plan, rep}); err != nil {
			return fmt.Errorf("print the plan: %w", err)
		}
	}
	if rep == nil {
		fmt.Fprintln(env.Stderr, "dry run: nothing changed")
		return nil
	}
	fmt.Fprintf(env.Stderr, "applied: +%d -%d in %d groups, %d refused, %d failed\n", rep.Added, rep.Removed, rep.Groups, len(rep.Refused), len(rep.Failed))
	for _, d := range rep.Databases {
		note := ""
		for _, n := range []string{d.Refused, d.Error} {
			if n != "" {
				note += "; " + n
			}
		}
		fmt.Fprintf(env.Stderr, "database %s: %s%s\n", d.Database, countList(d.Counts), note)
	}
	if len(rep.Refused) > 0 && !*force {
		fmt.Fprintln(env.Stderr, "refused removals were kept: check Okta (groups) and Identity Center (databases), then run again with --force")
	}
	return rep.Err()
}

// databases reads the database list and builds the databases half of the run: planned
// through the identity store reader of r, previewed read-only, and (unless dryRun) applied
// through the dbusers handler the Lambda runs, connecting with the operator's AWS credentials.
func databases(env *Env, r *reconcile.Reconciler, setup reconcilejob.Setup, path, ca string, dryRun bool) (*reconcile.Databases, func(), error) {
	b, err := os.ReadFile(expandHome(env, path))
	if err != nil {
		return nil, nil, fmt.Errorf("--databases: %w", err)
	}
	var list []dbuser.DatabaseConfig
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, nil, fmt.Errorf("--databases %s is not a JSON list of databases (the shape of $%s): %w", path, envnames.Databases, err)
	}
	reads, ok := r.Members.(dbplan.Reads)
	if !ok {
		return nil, nil, fmt.Errorf("reconcile: the identity store reader %T cannot plan databases", r.Members)
	}
	cache := dbconn.NewCache(setup.AWS.Credentials, nil)
	conn := func(d dbuser.DatabaseConfig) dbconn.Config {
		c := dbusers.Connection(ca)(d)
		if c.Region == "" {
			c.Region = setup.AWS.Region
		}
		return c
	}
	h, err := dbusers.New(list, cache, conn, setup.Log)
	if err != nil {
		cache.Close()
		return nil, nil, fmt.Errorf("--databases %s: %w", path, err)
	}
	dbs := &reconcile.Databases{Reads: reads, Preview: reconcile.HandlerPreview{Handler: h}}
	if !dryRun {
		dbs.Sync = h
	}
	for _, d := range list {
		dbs.List = append(dbs.List, resolve.Database{Name: d.Name, Grants: d.Grants})
	}
	return dbs, func() { cache.Close() }, nil
}

// countList prints counts as "created 2, dropped 1" in a stable order.
func countList(counts map[string]int) string {
	if len(counts) == 0 {
		return "no change"
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
