package localsfn

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Trace writes what the execution did, state by state: entered states with their outcome,
// retries with the error that caused them, caught errors, Map iterations, and the end.
// detail, when not nil, adds a short note for a state's output.
func (e *Execution) Trace(w io.Writer, detail func(state string, output json.RawMessage) string) {
	fmt.Fprintf(w, "  execution %s\n", e.ARN[strings.LastIndex(e.ARN, ":")+1:])
	lastFailed := map[string]string{}
	caught := map[string]bool{}
	for _, ev := range e.Events {
		name := ""
		if ev.State != nil {
			name = ev.State.Name
		}
		switch ev.Type {
		case "StateFailed":
			lastFailed[name] = ev.Error
		case "StateRetried":
			fmt.Fprintf(w, "    %-22s retry %d after %s\n", name, ev.Retry.Attempt, lastFailed[name])
		case "StateCaught":
			caught[name] = true
			fmt.Fprintf(w, "    %-22s caught %s\n", name, lastFailed[name])
		case "StateExited":
			if caught[name] {
				delete(caught, name)
				continue
			}
			note := ""
			if detail != nil {
				note = detail(name, ev.State.Output)
			}
			fmt.Fprintf(w, "    %-22s %-7s ok  %s\n", name, ev.State.Type, note)
		case "MapIterationFailed":
			fmt.Fprintf(w, "    %-22s iteration %d failed\n", ev.ParentState.Name, *ev.Index)
		}
	}
	if e.Status == "SUCCEEDED" {
		fmt.Fprintf(w, "    => SUCCEEDED\n")
		return
	}
	fmt.Fprintf(w, "    => %s: %s: %s\n", e.Status, e.Error, firstLine(e.Cause))
}

func firstLine(s string) string {
	var le struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(s), &le) == nil && le.ErrorMessage != "" {
		s = le.ErrorMessage
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
