package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/notify"
)

// deployedPrefix is the prefix of the configuration the synthesized rules were exported from
// (cdk.json's dev environment): its state machines are <prefix>-provision and so on.
const deployedPrefix = "ssoflow-dev-"

// WatchFailures connects a Step Functions emulator to the notify function as the deployment
// does: each execution's "Step Functions Execution Status Change" event goes to the default
// bus, where the synthesized status-change rules (ebemu.SynthesizedRules, exported from the CDK
// app's templates) send a FAILED, TIMED_OUT or ABORTED execution of an ssoflow state machine to
// the notify function, which reads the execution back through the emulator's API as it reads it
// from Step Functions on AWS. url is the emulator's address. The rules name the deployed state
// machines; the sandbox's machines carry the ASL's name alone (sfnemu.ARN), so the rules are
// given the sandbox's names and account.
func (s *Sandbox) WatchFailures(emu *sfnemu.Emulator, url string) error {
	w, err := WatchFailures(emu, url, *s.Notifier, s.Log)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.watchers = append(s.watchers, w)
	s.mu.Unlock()
	return nil
}

// FailureWatch is one emulator's status-change rules and what they delivered.
type FailureWatch struct {
	bus *ebemu.Emulator
}

// Deliveries are the status change events the failure rules sent to the notify function.
func (w *FailureWatch) Deliveries() []ebemu.Delivery { return w.bus.Deliveries() }

// WatchFailures is Sandbox.WatchFailures for any notifier (the grant tests build their own).
func WatchFailures(emu *sfnemu.Emulator, url string, n notify.Notifier, log *slog.Logger) (*FailureWatch, error) {
	specs, err := ebemu.SynthesizedRules()
	if err != nil {
		return nil, err
	}
	names := strings.NewReplacer(":stateMachine:"+deployedPrefix, ":stateMachine:", "${AWS::AccountId}", "000000000000", "${AWS::Region}", "us-east-1")
	var failureRules []ebemu.RuleSpec
	for _, r := range specs {
		for _, t := range r.Targets {
			if t.Kind == ebemu.KindFunction && t.Name == "Notify" {
				r.Pattern = json.RawMessage(names.Replace(string(r.Pattern)))
				failureRules = append(failureRules, r)
				break
			}
		}
	}
	if len(failureRules) == 0 {
		return nil, fmt.Errorf("the synthesized rules send nothing to the notify function")
	}
	bus := ebemu.New("000000000000", "us-east-1")
	if err := bus.LoadRules(failureRules); err != nil {
		return nil, err
	}
	n.SFN = sfnemu.NewClient(url)
	bus.RegisterTarget(ebemu.KindFunction, "Notify", func(ctx context.Context, event json.RawMessage) error {
		var ev events.CloudWatchEvent
		if err := json.Unmarshal(event, &ev); err != nil {
			return err
		}
		_, err := n.HandleEvent(ctx, ev)
		return err
	})
	emu.OnStatusChange = func(raw []byte) {
		ds, err := bus.Deliver(context.Background(), ebemu.DefaultBus, raw)
		if err != nil {
			log.Error("status change event", "error", err)
		}
		for _, d := range ds {
			if d.Err != nil {
				log.Error("notify", "rule", d.Rule, "error", d.Err)
			}
		}
	}
	return &FailureWatch{bus: bus}, nil
}

// StatusDeliveries are the status change events the failure rules sent to the notify function,
// from every emulator the sandbox watches.
func (s *Sandbox) StatusDeliveries() []ebemu.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ebemu.Delivery
	for _, w := range s.watchers {
		out = append(out, w.Deliveries()...)
	}
	return out
}
