package ebemu_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// FuzzParsePattern feeds arbitrary bytes to the pattern compiler; its seed corpus
// (testdata/fuzz/FuzzParsePattern) holds the documentation's patterns and refused ones.
// Properties: a refusal is always an *InvalidPatternError with a reason; an accepted pattern is
// a valid JSON object; matching it against well-formed events never fails and gives the same
// answer twice; matching it against itself (any JSON object is an event) never panics.
func FuzzParsePattern(f *testing.F) {
	events := []json.RawMessage{
		json.RawMessage(ec2Event), json.RawMessage(autoscalingEvent), json.RawMessage(rulerEvent),
		json.RawMessage(`{"a":[{"b":[1,"x",null,true,{"c":[]}]},[],{}],"n":-5e9,"s":"a*b\\c","ip":"10.0.0.1"}`),
	}
	f.Fuzz(func(t *testing.T, pattern []byte) {
		p, err := ebemu.ParsePattern(pattern)
		if err != nil {
			var refused *ebemu.InvalidPatternError
			if !errors.As(err, &refused) || refused.Reason == "" {
				t.Fatalf("ParsePattern(%q) = %T %v, want an InvalidPatternError with a reason", pattern, err, err)
			}
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(pattern, &obj); err != nil {
			t.Fatalf("ParsePattern accepted %q, which is not a JSON object: %v", pattern, err)
		}
		for _, ev := range events {
			first, err := p.Match(ev)
			if err != nil {
				t.Fatalf("Match(%q, %s): %v", pattern, ev, err)
			}
			if again, _ := p.Match(ev); again != first {
				t.Fatalf("Match(%q, %s) is %t then %t", pattern, ev, first, again)
			}
		}
		if _, err := p.Match(pattern); err != nil {
			t.Fatalf("Match(%q) against itself: %v", pattern, err)
		}
	})
}
