package eventroutes_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// The deployment's account and region as the tests' events carry them (the dev context's
// region, the account of the shared fixtures).
const (
	account = "111122223333"
	region  = "us-east-1"
)

// Targets as the golden file names them.
const (
	provision = ebemu.KindStateMachine + ":provision"
	notify    = ebemu.KindFunction + ":Notify"
)

// inbox records what every target received.
type inbox struct {
	mu       sync.Mutex
	received map[string][]json.RawMessage // by "kind:name"
}

func (b *inbox) target(key string) ebemu.TargetFunc {
	return func(_ context.Context, ev json.RawMessage) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.received[key] = append(b.received[key], ev)
		return nil
	}
}

func (b *inbox) of(key string) []json.RawMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]json.RawMessage(nil), b.received[key]...)
}

// deployedBus is an EventBridge emulator holding the deployment's rules, with a recording
// target for every target the rules name.
func deployedBus(t *testing.T) (*ebemu.Emulator, *inbox) {
	t.Helper()
	specs, err := ebemu.SynthesizedRules()
	if err != nil {
		t.Fatalf("synthesized rules: %v", err)
	}
	e := ebemu.New(account, region)
	if err := e.LoadRules(specs); err != nil {
		t.Fatal(err)
	}
	box := &inbox{received: map[string][]json.RawMessage{}}
	for _, s := range specs {
		for _, tg := range s.Targets {
			e.RegisterTarget(tg.Kind, tg.Name, box.target(tg.Kind+":"+tg.Name))
		}
	}
	return e, box
}

// reached puts event on bus directly (as AWS services and Okta's partner source do) and returns
// the targets it reached, one "kind:name" per delivery, sorted.
func reached(t *testing.T, e *ebemu.Emulator, bus string, event json.RawMessage) []string {
	t.Helper()
	ds, err := e.Deliver(context.Background(), bus, event)
	if err != nil {
		t.Fatalf("deliver on %s: %v", bus, err)
	}
	var out []string
	for _, d := range ds {
		if d.Err != nil {
			t.Errorf("rule %s: target %s %s: %v", d.Rule, d.Target.Kind, d.Target.Name, d.Err)
		}
		if string(d.Event) != string(event) {
			t.Errorf("rule %s sent %s %s an input other than the event (the golden file sets no input transformation)", d.Rule, d.Target.Kind, d.Target.Name)
		}
		out = append(out, d.Target.Kind+":"+d.Target.Name)
	}
	slices.Sort(out)
	return out
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func describe(targets []string) string {
	if len(targets) == 0 {
		return "no target"
	}
	return strings.Join(targets, ", ")
}
