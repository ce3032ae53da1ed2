package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/okta"
	"github.com/ssoflow/ssoflow/functions/internal/resolve"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
	"github.com/ssoflow/ssoflow/functions/internal/scimpush"
)

func init() {
	register(Command{Name: "sync", Summary: "apply one Okta user's membership of one group to Identity Center now", Run: runSync})
}

var reOktaGroupID = regexp.MustCompile(`^00g[A-Za-z0-9]{17}$`)

func runSync(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "sync", "--user <okta login|id> --group <okta group name|id>")
	user := fs.String("user", "", "Okta user login or id (required)")
	group := fs.String("group", "", "Okta group name or id (required)")
	oktaURL := fs.String("okta-url", "", "Okta org URL (default $SSOFLOW_OKTA_URL)")
	scimURL := fs.String("scim-url", "", "Identity Center SCIM endpoint (default $SSOFLOW_SCIM_URL)")
	prefix := fs.String("group-prefix", "", "Okta groups pushed by name (default $SSOFLOW_GROUP_PREFIX, else AWS_)")
	verbose := fs.Bool("v", false, "log each request (JSON, to stderr; tokens are never logged)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *user == "" || *group == "" {
		fs.Usage()
		return ErrUsage
	}
	cfg := struct{ oktaURL, oktaToken, scimURL, scimToken, prefix string }{
		fromEnv(env, *oktaURL, "SSOFLOW_OKTA_URL"), fromEnv(env, "", "SSOFLOW_OKTA_TOKEN"),
		fromEnv(env, *scimURL, "SSOFLOW_SCIM_URL"), fromEnv(env, "", "SSOFLOW_SCIM_TOKEN"),
		fromEnv(env, *prefix, "SSOFLOW_GROUP_PREFIX"),
	}
	if cfg.prefix == "" {
		cfg.prefix = "AWS_"
	}
	var missing []string
	for name, v := range map[string]string{"SSOFLOW_OKTA_URL (or --okta-url)": cfg.oktaURL, "SSOFLOW_OKTA_TOKEN": cfg.oktaToken,
		"SSOFLOW_SCIM_URL (or --scim-url)": cfg.scimURL, "SSOFLOW_SCIM_TOKEN": cfg.scimToken} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing configuration: %v (tokens are read from the environment only, never from flags, so they stay out of shell history)", missing)
	}
	logOut := io.Discard
	if *verbose {
		logOut = env.Stderr
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))
	oc := okta.New(cfg.oktaURL, cfg.oktaToken, nil)

	u, err := oc.GetUser(ctx, *user)
	if err != nil {
		return fmt.Errorf("Okta user %q: %w", *user, err)
	}
	var g okta.Group
	if reOktaGroupID.MatchString(*group) {
		g, err = oc.GetGroup(ctx, *group)
	} else {
		g, err = oc.FindGroupByName(ctx, *group)
	}
	if err != nil {
		return fmt.Errorf("Okta group %q: %w", *group, err)
	}
	// The same path as the pipeline: an event for the pair, resolved against Okta's current
	// truth, then pushed.
	detail, _ := json.Marshal(ssoflow.OktaMembershipEvent{EventID: "cli-sync", EventType: ssoflow.OktaMembershipAdd,
		Published: time.Now().UTC(), UserID: u.ID, UserLogin: u.Login, GroupID: g.ID, GroupName: g.Name})
	event, _ := json.Marshal(map[string]any{"source": ssoflow.EventSourceOkta, "detail-type": ssoflow.DetailTypeOktaMembership, "detail": json.RawMessage(detail)})
	plan, err := resolve.New(oc, nil, resolve.Config{GroupPrefix: cfg.prefix}, log).Handle(ctx, resolve.Input{Event: event})
	if err != nil {
		return err
	}
	if plan.Kind != resolve.KindOkta || plan.Push == nil {
		fmt.Fprintf(env.Stdout, "%s / %s: nothing to do: %s\n", u.Login, g.Name, plan.Reason)
		return nil
	}
	res, err := scimpush.New(scim.New(cfg.scimURL, cfg.scimToken, nil).WithLogger(log), log).Push(ctx, *plan.Push)
	if err != nil {
		return err
	}
	state := "not a member"
	if plan.Push.Member {
		state = "a member"
	}
	fmt.Fprintf(env.Stdout, "%s is %s of %s in Okta; Identity Center group %s: %s\n", u.Login, state, g.Name, res.TargetGroup, res.Action)
	return nil
}
