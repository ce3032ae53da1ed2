package asl_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ssoflow/ssoflow/functions/asl"
)

// Issue #12, must show 4: no Catch in any of the repository's definitions leads to a Fail state,
// so every failing step can be redriven.
func TestNoDefinitionCatchesIntoAFailState(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "statemachines", "*.asl.json"))
	if err != nil || len(files) < 3 {
		t.Fatalf("definitions %v, %v: want every statemachines/*.asl.json", files, err)
	}
	for _, f := range files {
		def, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		traps, err := asl.CatchesIntoFail(def)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(traps) > 0 {
			t.Errorf("%s: a Catch leads to a Fail state, so a redrive cannot rerun the caught step: %v", filepath.Base(f), traps)
		}
	}
}

// The walk finds such a Catch wherever it is: through a Pass and a Task, and inside a Map; a
// Catch that leads elsewhere, or that recovers (a Choice that can still succeed), is fine.
func TestCatchesIntoFailFindsTheTrap(t *testing.T) {
	def := []byte(`{"StartAt":"A","States":{
 "A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111122223333:function:a","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Shape"}],"Next":"M"},
 "Shape":{"Type":"Pass","Next":"Notify"},
 "Notify":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111122223333:function:n","Next":"Failed"},
 "Failed":{"Type":"Fail"},
 "M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{
   "I":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111122223333:function:i","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Stop"}],"End":true},
   "Stop":{"Type":"Fail"}}},"Next":"B"},
 "B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111122223333:function:b","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"}],"Next":"C"},
 "C":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111122223333:function:c","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Either"}],"End":true},
 "Either":{"Type":"Choice","Choices":[{"Variable":"$.x","IsPresent":true,"Next":"Failed"}],"Default":"Done"},
 "Done":{"Type":"Succeed"}}}`)
	got, err := asl.CatchesIntoFail(def)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"A -> Failed", "I -> Stop"}; !slices.Equal(got, want) {
		t.Errorf("CatchesIntoFail = %v, want %v", got, want)
	}
}
