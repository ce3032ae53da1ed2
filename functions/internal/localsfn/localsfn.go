// Package localsfn executes a statemachines/*.asl.json definition locally with the npm package
// aws-local-stepfunctions, each Task state answered in-process by a Go Lambda handler over HTTP
// on loopback. Handlers are wrapped with lambda.NewHandler, the same wrapper lambda.Start uses
// in production, and an error's type name reaches Step Functions as the error name, so Retry,
// Catch and Choice behave as they do on AWS. Retry intervals and Wait states can be shortened.
package localsfn

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/ssoflow/ssoflow/functions/asl"
)

//go:embed run.mjs
var driver []byte

// Machine is a loaded definition, ready to run.
type Machine struct {
	Name       string
	raw        []byte            // before substitution
	subs       map[string]string // the substitutions it was loaded with (for derived machines)
	def        json.RawMessage   // after substitution
	taskSubs   map[string]string // state name → placeholder its Resource names
	invokes    []string          // arn:aws:states:::lambda:invoke Task states (dynamic FunctionName)
	retryState []string          // states that have a Retry field
	waitState  []string          // Wait states
}

// LocalARN is the function ARN a placeholder stands for locally when no value is given.
func LocalARN(name string) string {
	return "arn:aws:lambda:us-east-1:000000000000:function:ssoflow-local-" + name
}

// Load reads an ASL file. Placeholders without a value in subs get LocalARN(name).
func Load(path string, subs map[string]string) (*Machine, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read state machine: %w", err)
	}
	name := strings.TrimSuffix(filepath.Base(path), ".asl.json")
	return Parse(name, raw, subs)
}

// Parse is Load for a definition already in memory.
func Parse(name string, raw []byte, subs map[string]string) (*Machine, error) {
	all := map[string]string{}
	for _, p := range asl.Placeholders(raw) {
		all[p] = LocalARN(p)
	}
	for k, v := range subs {
		all[k] = v
	}
	def, err := asl.Substitute(raw, all)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: %w", name, err)
	}
	states, err := asl.States(raw)
	if err != nil {
		return nil, fmt.Errorf("state machine %s: %w", name, err)
	}
	m := &Machine{Name: name, raw: raw, subs: subs, def: def, taskSubs: map[string]string{}}
	for _, s := range states {
		if p := asl.TaskPlaceholder(s); p != "" {
			m.taskSubs[s.Name] = p
		}
		if r, _ := s.Def["Resource"].(string); s.Type == "Task" && r == LambdaInvoke {
			m.invokes = append(m.invokes, s.Name)
		}
		if _, ok := s.Def["Retry"]; ok {
			m.retryState = append(m.retryState, s.Name)
		}
		if s.Type == "Wait" {
			m.waitState = append(m.waitState, s.Name)
		}
	}
	return m, nil
}

// Options configure one execution.
type Options struct {
	// ExecutionName names the execution, as StartExecution's name does. Default: a timestamp.
	ExecutionName string
	// Handlers answer Task states, keyed by the placeholder their Resource names
	// (e.g. "ResolveFunctionArn"). Build them with lambda.NewHandler(core.Method).
	Handlers map[string]lambda.Handler
	// Functions answer arn:aws:states:::lambda:invoke Task states, keyed by the function ARN
	// their FunctionName resolves to at run time; see Invocation.
	Functions map[string]lambda.Handler
	// RetryInterval replaces every Retry interval (default 0: retries happen at once, but every
	// attempt and MaxAttempts are as defined).
	RetryInterval time.Duration
	// Waits replaces the duration of Wait states by name; unnamed Wait states wait WaitDefault.
	Waits       map[string]time.Duration
	WaitDefault time.Duration
	// ExecutionInput is $$.Execution.Input when the run does not start the execution (a redrive
	// resumes at a later state with that state's input); default: the run's input.
	ExecutionInput json.RawMessage
	// StartTime is $$.Execution.StartTime; default: now.
	StartTime time.Time
}

// Execution is what one run did.
type Execution struct {
	ARN    string
	Status string // SUCCEEDED or FAILED
	Output json.RawMessage
	Error  string
	Cause  string
	Events []Event
	// Invocations are the lambda:invoke calls, in the order they were made.
	Invocations []Invocation
}

// Event is one entry of the execution's event log, as aws-local-stepfunctions reports it.
type Event struct {
	Type      string `json:"type"`
	Timestamp int64  `json:"timestamp"`
	State     *struct {
		Name   string          `json:"name"`
		Type   string          `json:"type"`
		Input  json.RawMessage `json:"input,omitempty"`
		Output json.RawMessage `json:"output,omitempty"`
	} `json:"state,omitempty"`
	Error string `json:"Error,omitempty"`
	Cause string `json:"Cause,omitempty"`
	Retry *struct {
		Attempt int `json:"attempt"`
	} `json:"retry,omitempty"`
	Index       *int `json:"index,omitempty"`
	ParentState *struct {
		Name string `json:"name"`
	} `json:"parentState,omitempty"`
	// Result lines only.
	Status string          `json:"status,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	ErrorR string          `json:"error,omitempty"`
	CauseR string          `json:"cause,omitempty"`
}

// Count returns how many events of type typ concern the named state ("" for any state).
func (e *Execution) Count(typ, state string) int {
	n := 0
	for _, ev := range e.Events {
		if ev.Type == typ && (state == "" || ev.State != nil && ev.State.Name == state) {
			n++
		}
	}
	return n
}

// Visited lists the states entered, in order.
func (e *Execution) Visited() []string {
	var out []string
	for _, ev := range e.Events {
		if ev.Type == "StateEntered" && ev.State != nil {
			out = append(out, ev.State.Name)
		}
	}
	return out
}

// Run executes the machine with input and returns when the execution ends. A FAILED execution is
// not an error: err is for the runner itself failing. When ctx ends first (an execution stopped
// or timed out), Run returns the events so far with the error.
func (m *Machine) Run(ctx context.Context, input any, opts Options) (*Execution, error) {
	nodeModules, err := FindNodeModules()
	if err != nil {
		return nil, err
	}
	name := opts.ExecutionName
	if name == "" {
		name = "local-" + time.Now().UTC().Format("20060102T150405.000000000")
	}
	arn := fmt.Sprintf("arn:aws:states:us-east-1:000000000000:execution:%s:%s", m.Name, name)

	srv, err := serve(opts.Handlers, opts.Functions, arn)
	if err != nil {
		return nil, err
	}
	defer srv.Close()

	handlers := map[string]string{}
	for state, sub := range m.taskSubs {
		if _, ok := opts.Handlers[sub]; !ok {
			return nil, fmt.Errorf("state machine %s: task state %q calls ${%s}, which has no local handler", m.Name, state, sub)
		}
		handlers[state] = srv.URL(sub)
	}
	for _, state := range m.invokes {
		handlers[state] = srv.InvokeURL(state)
	}
	retry := map[string]int64{}
	for _, s := range m.retryState {
		retry[s] = opts.RetryInterval.Milliseconds()
	}
	waits := map[string]int64{}
	for _, s := range m.waitState {
		d := opts.WaitDefault
		if w, ok := opts.Waits[s]; ok {
			d = w
		}
		waits[s] = d.Milliseconds()
	}
	inputJSON, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("encode input: %w", err)
	}
	executionInput := json.RawMessage(inputJSON)
	if opts.ExecutionInput != nil {
		executionInput = opts.ExecutionInput
	}
	startTime := opts.StartTime
	if startTime.IsZero() {
		startTime = time.Now()
	}
	job, err := json.Marshal(map[string]any{
		"nodeModules":            nodeModules,
		"definition":             m.def,
		"input":                  json.RawMessage(inputJSON),
		"handlers":               handlers,
		"retryIntervalOverrides": retry,
		"waitTimeOverrides":      waits,
		"context": map[string]any{
			"Execution": map[string]any{
				"Id": arn, "Name": name, "Input": executionInput,
				"StartTime": startTime.UTC().Format(time.RFC3339Nano),
			},
			"StateMachine": map[string]any{
				"Id":   fmt.Sprintf("arn:aws:states:us-east-1:000000000000:stateMachine:%s", m.Name),
				"Name": m.Name,
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	exe, err := runNode(ctx, job, arn)
	if err != nil {
		return exe, err
	}
	exe.Invocations = srv.Invocations()
	exe.enforceDataLimit(srv.DataLimitViolation())
	return exe, nil
}

// DataLimit is Step Functions' quota on a state's input and output and on a task's input and
// result: 256 KiB of UTF-8 text.
const DataLimit = 256 * 1024

// DataLimitExceeded is the error Step Functions ends an execution with when a state's data
// exceeds DataLimit. It is terminal: no Catch, not even States.ALL, handles it, so the execution
// fails without reaching a Notify state.
const DataLimitExceeded = "States.DataLimitExceeded"

// enforceDataLimit fails the execution as Step Functions would when any state's input or output,
// a task's payload or result, or the execution's output exceeded DataLimit. aws-local-stepfunctions
// has no such quota, so the local run went on; its verdict is replaced.
func (e *Execution) enforceDataLimit(taskViolation string) {
	fail := func(cause string) { e.Status, e.Error, e.Cause = "FAILED", DataLimitExceeded, cause }
	for _, ev := range e.Events {
		if ev.State == nil {
			continue
		}
		if cause := overDataLimit("the input of state "+ev.State.Name, ev.State.Input); cause != "" {
			fail(cause)
			return
		}
		if cause := overDataLimit("the output of state "+ev.State.Name, ev.State.Output); cause != "" {
			fail(cause)
			return
		}
	}
	if taskViolation != "" {
		fail(taskViolation)
		return
	}
	if cause := overDataLimit("the execution's output", e.Output); cause != "" {
		fail(cause)
	}
}

// overDataLimit says why b, named what, exceeds DataLimit, or "" when it does not.
func overDataLimit(what string, b []byte) string {
	if len(b) <= DataLimit {
		return ""
	}
	return fmt.Sprintf("%s is %d bytes, over the %d-byte state data quota", what, len(b), DataLimit)
}

func runNode(ctx context.Context, job []byte, arn string) (*Execution, error) {
	script, err := os.CreateTemp("", "ssoflow-localsfn-*.mjs")
	if err != nil {
		return nil, fmt.Errorf("write driver: %w", err)
	}
	defer os.Remove(script.Name())
	if _, err := script.Write(driver); err != nil {
		script.Close()
		return nil, fmt.Errorf("write driver: %w", err)
	}
	script.Close()

	cmd := exec.CommandContext(ctx, "node", script.Name())
	cmd.Stdin = bytes.NewReader(job)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start node (is Node.js installed?): %w", err)
	}
	exe := &Execution{ARN: arn}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, fmt.Errorf("driver printed %q: %w", sc.Text(), err)
		}
		if ev.Type == "Result" {
			exe.Status, exe.Output, exe.Error, exe.Cause = ev.Status, ev.Output, ev.ErrorR, ev.CauseR
			continue
		}
		exe.Events = append(exe.Events, ev)
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return exe, fmt.Errorf("execution %s ended early: %w", arn, ctx.Err())
		}
		return nil, fmt.Errorf("node driver: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if exe.Status == "" {
		return nil, fmt.Errorf("node driver ended without a result: %s", strings.TrimSpace(stderr.String()))
	}
	return exe, nil
}

// FindNodeModules locates the node_modules folder holding aws-local-stepfunctions:
// $SSOFLOW_NODE_MODULES, else the nearest one at or above the working directory.
func FindNodeModules() (string, error) {
	if d := os.Getenv("SSOFLOW_NODE_MODULES"); d != "" {
		return d, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "node_modules")
		if _, err := os.Stat(filepath.Join(p, "aws-local-stepfunctions", "package.json")); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("aws-local-stepfunctions not found in any node_modules above the working directory: run `npm ci` at the repository root, or set SSOFLOW_NODE_MODULES")
		}
		dir = parent
	}
}

// ErrorType is the name Lambda reports for err as errorType, which Step Functions uses as the
// error name: the type's name without package or pointer, as aws-lambda-go computes it.
func ErrorType(err error) string {
	var te *taskError
	if errors.As(err, &te) {
		return te.name
	}
	var ie messages.InvokeResponse_Error
	if errors.As(err, &ie) && ie.Type != "" {
		return ie.Type
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Ptr {
		return t.Elem().Name()
	}
	return t.Name()
}
