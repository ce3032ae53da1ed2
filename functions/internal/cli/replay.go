package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/replay"
)

func init() {
	register(Command{Name: "replay", Summary: "redrive failed executions from the step that failed (or start them anew where a redrive cannot help)", Run: runReplay})
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func runReplay(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "replay", "--state-machine ARN [--since 24h|RFC3339] [--execution NAME|ARN]... [--anew] [--wait] [--dry-run]")
	smArn := fs.String("state-machine", "", "state machine ARN, e.g. the provision state machine's (default $"+envnames.StateMachineARN+")")
	since := fs.String("since", "24h", "replay executions that closed since this long ago (e.g. 24h, 72h) or this time (RFC 3339)")
	var execs multi
	fs.Var(&execs, "execution", "replay only this execution, by name or ARN, whenever it closed (repeatable)")
	dry := fs.Bool("dry-run", false, "list what would be replayed, and how, without doing it")
	anew := fs.Bool("anew", false, "start each execution anew with its input (from the first step, planning again) instead of redriving it")
	wait := fs.Bool("wait", false, "wait for each replayed execution to end and report how it ended (exit 1 unless all SUCCEEDED)")
	waitFor := fs.Duration("wait-timeout", 30*time.Minute, "with --wait: how long to wait at most")
	aborted := fs.Bool("include-aborted", false, "also replay TIMED_OUT and ABORTED executions, not only FAILED ones")
	endpoint := fs.String("endpoint", "", "Step Functions endpoint URL, e.g. the local emulator's, which is then used with static local credentials (default $"+envnames.SFNEndpoint+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return ErrUsage
	}
	arn := fromEnv(env, *smArn, envnames.StateMachineARN)
	if arn == "" {
		return fmt.Errorf("no state machine: pass --state-machine or set %s (the stack output ProvisionStateMachineArn)", envnames.StateMachineARN)
	}
	from, err := parseSince(*since, env.now())
	if err != nil {
		return err
	}
	var api replay.API
	if ep := fromEnv(env, *endpoint, envnames.SFNEndpoint); ep != "" {
		api = sfn.NewFromConfig(awsconf.Local(), func(o *sfn.Options) { o.BaseEndpoint = aws.String(ep) })
	} else {
		cfg, err := awsconf.Load(ctx)
		if err != nil {
			return err
		}
		api = sfn.NewFromConfig(cfg)
	}
	s, err := replay.Run(ctx, api, replay.Options{
		StateMachineArn: arn, Since: from, Executions: execs, IncludeAborted: *aborted, Anew: *anew, DryRun: *dry,
		Wait: *wait, WaitTimeout: *waitFor, Now: env.now,
		Progress: func(format string, a ...any) { fmt.Fprintf(env.Stderr, format+"\n", a...) },
	})
	if err != nil {
		return err
	}
	for _, it := range s.Items {
		what := map[replay.Action]string{replay.Redrive: "redriven", replay.Restart: "started anew", replay.Skip: "skipped"}[it.Action]
		if *dry {
			what = string(it.Action)
		}
		if it.Error != "" {
			what = "failed to " + what + ": " + it.Error
		} else if it.NewARN != "" {
			what += " as " + it.NewARN
		}
		if it.Why != "" && it.Error == "" {
			what += " (" + it.Why + ")"
		}
		if it.Ended != "" {
			what += ": " + it.Ended
		}
		if *dry && it.Action != replay.Skip && it.Error == "" {
			what = "would " + what
		}
		fmt.Fprintf(env.Stdout, "%-8s %s  %s\n", it.Status, it.Name, what)
	}
	if *dry {
		fmt.Fprintf(env.Stdout, "dry run: %s\n", s)
		return nil
	}
	fmt.Fprintln(env.Stdout, s)
	return s.Err()
}

// parseSince reads a duration ago ("24h") or a time (RFC 3339).
func parseSince(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %s: give a positive duration", v)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q is neither a duration (24h) nor an RFC 3339 time (2026-01-02T15:04:05Z)", v)
	}
	return t, nil
}
