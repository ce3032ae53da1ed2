// Package sfnemu is an AWS Step Functions API emulator whose executions really run: it speaks
// the AWS JSON 1.0 protocol the SDK uses (POST /, X-Amz-Target: AWSStepFunctions.<Operation>)
// and runs each started execution's ASL with localsfn in a goroutine, its Task states answered
// by the in-process Go handlers the machine was configured with.
//
// Emulated: StartExecution (a name is unique per state machine; the same name and input while
// the execution runs answers the same execution, anything else ExecutionAlreadyExists, as on
// AWS), DescribeExecution, ListExecutions (statusFilter, pages), StopExecution (cancels the run;
// status ABORTED), an execution timeout (Machine.Timeout: status TIMED_OUT) and
// RedriveExecution as AWS documents it (redrive.go: resume at the state that did not succeed,
// rerun only the unsuccessful iterations of an inline Map), GetExecutionHistory, and the
// "Step Functions Execution Status Change" events EventBridge receives (OnStatusChange).
// FIDELITY.md lists each behaviour with its source and the test that pins it.
package sfnemu

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/awsjson"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

const targetPrefix = "AWSStepFunctions."

// proto is Step Functions' dialect of the AWS JSON protocol.
var proto = awsjson.Protocol{Version: "1.0", TargetPrefix: targetPrefix}

// Machine is one state machine the emulator runs.
type Machine struct {
	// ARN of the state machine; ARN(name) gives one consistent with localsfn's context object.
	ARN string
	// Definition is the loaded ASL.
	Definition *localsfn.Machine
	// Options for every execution: Handlers, RetryInterval, Waits, WaitDefault. ExecutionName
	// is set per execution.
	Options localsfn.Options
	// ForExecution, when set, adjusts a copy of Options for one execution by name (for example
	// a shorter wait, or a handler that pauses at a step until the test lets it go on).
	ForExecution func(name string, opts *localsfn.Options)
	// Timeout, when set, ends an execution that runs longer as TIMED_OUT (error States.Timeout),
	// as a definition's top-level TimeoutSeconds does on AWS.
	Timeout time.Duration
}

// ARN is the state machine ARN localsfn reports in $$.StateMachine.Id for a machine named name.
func ARN(name string) string {
	return "arn:aws:states:us-east-1:000000000000:stateMachine:" + name
}

// Execution is an execution's state, as DescribeExecution reports it.
type Execution struct {
	ARN, Name, StateMachineARN string
	Input                      string
	Status                     string // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Output, Error, Cause       string
	Start, Stop                time.Time
	RedriveCount               int
	RedriveDate                time.Time
	// Local is the last run's result (nil while running or when stopped).
	Local *localsfn.Execution
}

type execution struct {
	Execution
	cancel   context.CancelFunc
	done     chan struct{}
	attempts []attempt // the first run, then one per redrive
}

// attempt is one run of an execution: the start, or a redrive.
type attempt struct {
	start, stop                  time.Time
	events                       []localsfn.Event
	status, output, error, cause string // how it ended ("" while running)
}

// Emulator is the API; it is an http.Handler for httptest.NewServer. Close it to stop every
// running execution.
type Emulator struct {
	mu         sync.Mutex
	machines   map[string]Machine
	executions map[string]*execution // by execution ARN
	order      []string              // execution ARNs, oldest first
	counts     map[string]int
	wg         sync.WaitGroup
	closed     bool
	seq        int             // status change events sent
	deleting   map[string]bool // state machines DeleteStateMachine was called for

	// Now is the emulator's clock (default time.Now): execution dates, and whether an execution
	// is still within the 14 days it can be redriven in.
	Now func() time.Time
	// OnStatusChange, when set, receives each "Step Functions Execution Status Change" event
	// (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED) as EventBridge would, in order, after the
	// emulator has recorded the change and before Wait returns for it. It runs on the
	// execution's goroutine and may call the emulator's API.
	OnStatusChange func(event []byte)
	// Account and Region fill the events' envelope (default 000000000000, us-east-1).
	Account, Region string
}

func (e *Emulator) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// New returns an emulator running machines; more can be added with AddMachine.
func New(machines ...Machine) *Emulator {
	e := &Emulator{machines: map[string]Machine{}, executions: map[string]*execution{}, counts: map[string]int{}}
	for _, m := range machines {
		e.AddMachine(m)
	}
	return e
}

// AddMachine adds or replaces a state machine (handlers often need the emulator's URL first).
func (e *Emulator) AddMachine(m Machine) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.machines[m.ARN] = m
}

// Close stops every running execution and waits for them.
func (e *Emulator) Close() {
	e.mu.Lock()
	e.closed = true
	for _, x := range e.executions {
		if x.Status == "RUNNING" {
			x.cancel()
		}
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// Requests is how many requests for operation op the emulator received.
func (e *Emulator) Requests(op string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[op]
}

// Executions returns a copy of every execution of the state machine, oldest first.
func (e *Emulator) Executions(stateMachineARN string) []Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Execution
	for _, arn := range e.order {
		if x := e.executions[arn]; x.StateMachineARN == stateMachineARN {
			out = append(out, x.Execution)
		}
	}
	return out
}

// Wait blocks until the execution is no longer running (or ctx ends) and returns its state.
func (e *Emulator) Wait(ctx context.Context, executionARN string) (Execution, error) {
	e.mu.Lock()
	x := e.executions[executionARN]
	e.mu.Unlock()
	if x == nil {
		return Execution{}, fmt.Errorf("sfnemu: no execution %s", executionARN)
	}
	for {
		e.mu.Lock()
		done := x.done
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return Execution{}, fmt.Errorf("waiting for %s: %w", executionARN, ctx.Err())
		case <-done:
		}
		e.mu.Lock()
		snapshot, again := x.Execution, x.done != done // a redrive replaced done meanwhile
		e.mu.Unlock()
		if !again {
			return snapshot, nil
		}
	}
}

// ExecutionARN is the ARN of execution name of a state machine.
func ExecutionARN(stateMachineARN, name string) string {
	return strings.Replace(stateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

var reName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

type apiError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func fail(typ, format string, args ...any) *apiError {
	return &apiError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

type handler func(e *Emulator, body []byte) (any, *apiError)

var operations = map[string]handler{
	"StartExecution":      (*Emulator).startExecution,
	"DescribeExecution":   (*Emulator).describeExecution,
	"ListExecutions":      (*Emulator).listExecutions,
	"StopExecution":       (*Emulator).stopExecution,
	"RedriveExecution":    (*Emulator).redriveExecution,
	"GetExecutionHistory": (*Emulator).getExecutionHistory,
	"DeleteStateMachine":  (*Emulator).deleteStateMachine,
}

// ServeHTTP answers one AWS JSON 1.0 request.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, h, body, ok := awsjson.ReadOp(proto, w, r, operations)
	if !ok {
		return
	}
	e.mu.Lock()
	e.counts[op]++
	e.mu.Unlock()
	out, apiErr := h(e, body)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	proto.Write(w, out)
}

func writeError(w http.ResponseWriter, e *apiError) {
	proto.WriteError(w, http.StatusBadRequest, e)
}

func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return fail("SerializationException", "malformed request body: %v", err)
	}
	return nil
}

func epoch(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return float64(t.UnixMilli()) / 1000
}
