package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/logging"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/reconcilejob"
)

// Environment variables only the CLI reads: the tokens come from the environment (never a
// flag, which shell history and process lists would show), the endpoint override is for
// emulators.
const (
	envOktaToken        = "SSOFLOW_OKTA_TOKEN"
	envSCIMToken        = "SSOFLOW_SCIM_TOKEN"
	envIdentityEndpoint = "SSOFLOW_IDENTITY_STORE_ENDPOINT"
)

func init() {
	register(Command{Name: "reconcile", Summary: "compare Okta with Identity Center and repair the differences (--dry-run: show the plan)", Run: runReconcile})
}

func runReconcile(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "reconcile", "[--dry-run] [--json] [--force] [--max-remove 0.2]\n\n"+
		"Tokens are read from $"+envOktaToken+" and $"+envSCIMToken+".")
	dry := fs.Bool("dry-run", false, "show the plan, change nothing")
	asJSON := fs.Bool("json", false, "print the plan (and what was applied) as JSON instead of a table")
	force := fs.Bool("force", false, "apply removals beyond the guard (after checking Okta is right)")
	maxRemove := fs.Float64("max-remove", reconcile.DefaultMaxRemoveShare, "refuse a group when more than this share of its members would be removed (or $"+envnames.ReconcileMaxRemoveShare+")")
	oktaURL := fs.String("okta-url", "", "Okta org URL (default $"+envnames.OktaOrgURL+")")
	scimURL := fs.String("scim-url", "", "Identity Center SCIM endpoint (default $"+envnames.SCIMURL+")")
	prefix := fs.String("group-prefix", "", "Okta groups named with this prefix are reconciled (default $"+envnames.GroupPrefix+", else AWS_)")
	storeID := fs.String("identity-store-id", "", "identity store id d-xxxxxxxxxx (default $"+envnames.IdentityStoreID+")")
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
	if len(rep.Refused) > 0 && !*force {
		fmt.Fprintln(env.Stderr, "refused removals were kept: check Okta, then run again with --force")
	}
	return rep.Err()
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
