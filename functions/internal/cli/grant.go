package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/grant"
)

// stepFunctions is the part of the Step Functions client the grant commands use.
type stepFunctions interface {
	grant.ExecutionsAPI
	StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	StopExecution(context.Context, *sfn.StopExecutionInput, ...func(*sfn.Options)) (*sfn.StopExecutionOutput, error)
}

// grantCLIMax bounds what the CLI lets through before starting anything: Step Functions'
// one-year execution limit. The deployed maximum (grantMaxHours) is enforced by the state
// machine's Validate step.
const grantCLIMax = 365 * 24 * time.Hour

func init() {
	register(Command{Name: "grant", Summary: "grant time-bound access (a permission set on an account, or a group), revoked automatically", Run: runGrant})
	register(Command{Name: "revoke", Summary: "end a grant now and stop its timer", Run: runRevoke})
	register(Command{Name: "grants", Summary: "list the active grants with the time they have left", Run: runGrants})
}

type sfnFlags struct{ stateMachine, endpoint string }

func (f *sfnFlags) add(fs interface {
	StringVar(*string, string, string, string)
}) {
	fs.StringVar(&f.stateMachine, "state-machine", "", "grant state machine ARN (default $"+envnames.GrantStateMachineARN+")")
	fs.StringVar(&f.endpoint, "endpoint", "", "Step Functions endpoint URL, e.g. the local emulator's, which is then used with static local credentials (default $"+envnames.SFNEndpoint+")")
}

func (f *sfnFlags) client(ctx context.Context, env *Env) (stepFunctions, string, error) {
	arn := fromEnv(env, f.stateMachine, envnames.GrantStateMachineARN)
	if arn == "" {
		return nil, "", fmt.Errorf("no grant state machine: pass --state-machine or set %s (the stack output GrantStateMachineArn)", envnames.GrantStateMachineARN)
	}
	endpoint := fromEnv(env, f.endpoint, envnames.SFNEndpoint)
	if endpoint != "" {
		return sfn.NewFromConfig(awsconf.Local(), func(o *sfn.Options) { o.BaseEndpoint = aws.String(endpoint) }), arn, nil
	}
	cfg, err := awsconf.Load(ctx)
	if err != nil {
		return nil, "", err
	}
	return sfn.NewFromConfig(cfg), arn, nil
}

func executionARN(stateMachineARN, name string) string {
	return strings.Replace(stateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

func runGrant(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "grant", "--user NAME (--account ID --permission-set NAME | --group NAME) --for DURATION --reason TEXT")
	var sf sfnFlags
	sf.add(fs)
	user := fs.String("user", "", "identity store user name, e.g. jane@example.com")
	account := fs.String("account", "", "AWS account id (with --permission-set)")
	ps := fs.String("permission-set", "", "permission set name (with --account)")
	group := fs.String("group", "", "identity store group name (instead of --account and --permission-set)")
	d := fs.Duration("for", 0, "how long, e.g. 2h or 30m")
	reason := fs.String("reason", "", "why the access is needed (shown in the announcements)")
	id := fs.String("id", "", "grant id (default: derived from the request, so repeating it starts nothing twice)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *d <= 0 {
		fs.Usage()
		return ErrUsage
	}
	req := grant.NewRequest(*user, *account, *ps, *group, *d, *reason, env.Getenv("USER"), *id, env.now())
	if err := req.Check(env.now(), grantCLIMax); err != nil {
		return err
	}
	api, smArn, err := sf.client(ctx, env)
	if err != nil {
		return err
	}
	input, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode grant request: %w", err)
	}
	out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String(req.GrantID), Input: aws.String(string(input))})
	var exists *sfntypes.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		d, derr := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN(smArn, req.GrantID))})
		if derr != nil {
			return fmt.Errorf("grant %s exists already, and reading it failed: %w", req.GrantID, derr)
		}
		fmt.Fprintf(env.Stdout, "grant %s was requested already (%s): nothing new started\n  execution: %s\n", req.GrantID, d.Status, aws.ToString(d.ExecutionArn))
		return nil
	}
	if err != nil {
		return fmt.Errorf("start grant %s: %w", req.GrantID, err)
	}
	fmt.Fprintf(env.Stdout, "grant %s requested: %s gets %s until %s\n  execution: %s\n  ends early with: ssoflow revoke %s\n",
		req.GrantID, req.User, req.What(), req.End, aws.ToString(out.ExecutionArn), req.GrantID)
	return nil
}

func runRevoke(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "revoke", "[flags] GRANT-ID")
	var sf sfnFlags
	sf.add(fs)
	wait := fs.Bool("wait", false, "wait until the access is removed (or kept for another grant)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return ErrUsage
	}
	id := fs.Arg(0)
	api, smArn, err := sf.client(ctx, env)
	if err != nil {
		return err
	}
	d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN(smArn, id))})
	if err != nil {
		return fmt.Errorf("read grant %s: %w", id, err)
	}
	var req grant.Request
	if err := json.Unmarshal([]byte(aws.ToString(d.Input)), &req); err != nil {
		return fmt.Errorf("grant %s: input is not a grant request: %w", id, err)
	}
	by := env.Getenv("USER")
	// Stop the timer first: a grant still running would count as needing the access.
	if d.Status == sfntypes.ExecutionStatusRunning {
		if _, err := api.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: d.ExecutionArn,
			Error: aws.String(ssoflow.ErrorRevoked), Cause: aws.String("revoked early with ssoflow revoke by " + orSomeone(by))}); err != nil {
			return fmt.Errorf("stop grant %s: %w", id, err)
		}
	}
	input, err := json.Marshal(req.Revocation(by))
	if err != nil {
		return fmt.Errorf("encode revocation: %w", err)
	}
	name := id + grant.RevokeSuffix
	out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(smArn), Name: aws.String(name), Input: aws.String(string(input))})
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		fmt.Fprintf(env.Stdout, "grant %s was revoked already (execution %s)\n", id, executionARN(smArn, name))
		return nil
	case err != nil:
		return fmt.Errorf("start revocation of grant %s: %w", id, err)
	}
	fmt.Fprintf(env.Stdout, "grant %s stopped; removing %s from %s unless another active grant needs it\n  execution: %s\n", id, req.What(), req.User, aws.ToString(out.ExecutionArn))
	if !*wait {
		return nil
	}
	for {
		r, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		if err != nil {
			return fmt.Errorf("read revocation of %s: %w", id, err)
		}
		if r.Status != sfntypes.ExecutionStatusRunning {
			fmt.Fprintf(env.Stdout, "revocation %s\n", r.Status)
			if r.Status != sfntypes.ExecutionStatusSucceeded {
				return fmt.Errorf("revocation of grant %s ended %s: %s: %s", id, r.Status, aws.ToString(r.Error), aws.ToString(r.Cause))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func orSomeone(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}

func runGrants(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "grants", "[flags]")
	var sf sfnFlags
	sf.add(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	api, smArn, err := sf.client(ctx, env)
	if err != nil {
		return err
	}
	active, err := (&grant.Registry{API: api, StateMachineArn: smArn}).Active(ctx)
	if err != nil {
		return err
	}
	active = slices.DeleteFunc(active, func(a grant.Active) bool { return a.Request.Mode == grant.ModeRevoke })
	slices.SortFunc(active, func(a, b grant.Active) int { return strings.Compare(a.Request.End, b.Request.End) })
	if len(active) == 0 {
		fmt.Fprintln(env.Stdout, "no active grants")
		return nil
	}
	now := env.now()
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GRANT\tUSER\tACCESS\tENDS (UTC)\tLEFT\tREASON")
	for _, a := range active {
		r := a.Request
		left := "ending"
		if end, err := r.EndTime(); err == nil && end.After(now) {
			left = end.Sub(now).Round(time.Minute).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, r.User, r.What(), strings.TrimSuffix(strings.Replace(r.End, "T", " ", 1), "Z"), left, r.Reason)
	}
	return tw.Flush()
}
