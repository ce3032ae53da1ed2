package sfnemu_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

const def = `{"StartAt":"Work","States":{
 "Work":{"Type":"Task","Resource":"${WorkFunctionArn}","Next":"Pause"},
 "Pause":{"Type":"Wait","Seconds":3600,"End":true}}}`

func setup(t *testing.T, work func() error, pause time.Duration) (*sfnemu.Emulator, *sfn.Client, string) {
	t.Helper()
	m, err := localsfn.Parse("demo", []byte(def), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := sfnemu.New(sfnemu.Machine{ARN: sfnemu.ARN("demo"), Definition: m, Options: localsfn.Options{
		Handlers: map[string]lambda.Handler{"WorkFunctionArn": lambda.NewHandler(func(ctx context.Context, in map[string]any) (map[string]any, error) {
			return in, work()
		})},
		Waits: map[string]time.Duration{"Pause": pause},
	}})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	t.Cleanup(e.Close)
	return e, sfnemu.NewClient(srv.URL), sfnemu.ARN("demo")
}

func TestStartIsIdempotentByNameAndInputAndStopAborts(t *testing.T) {
	e, c, arn := setup(t, func() error { return nil }, time.Hour)
	ctx := context.Background()
	start := func(input string) (*sfn.StartExecutionOutput, error) {
		return c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("one"), Input: aws.String(input)})
	}
	a, err := start(`{"x":1}`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := start(`{ "x": 1 }`)
	if err != nil {
		t.Fatalf("same name and input while running: %v", err)
	}
	if aws.ToString(a.ExecutionArn) != aws.ToString(b.ExecutionArn) || len(e.Executions(arn)) != 1 {
		t.Errorf("ARNs %s, %s and %d executions, want one", aws.ToString(a.ExecutionArn), aws.ToString(b.ExecutionArn), len(e.Executions(arn)))
	}
	var exists *types.ExecutionAlreadyExists
	if _, err := start(`{"x":2}`); !errors.As(err, &exists) {
		t.Errorf("same name, other input: %v, want ExecutionAlreadyExists", err)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: types.ExecutionStatusRunning})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].Name) != "one" {
		t.Fatalf("running executions: %+v, %v", list, err)
	}
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: a.ExecutionArn, Error: aws.String("Stopped")}); err != nil {
		t.Fatal(err)
	}
	x, err := e.Wait(ctx, aws.ToString(a.ExecutionArn))
	if err != nil || x.Status != "ABORTED" {
		t.Fatalf("after StopExecution: %s, %v, want ABORTED", x.Status, err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: a.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusAborted || aws.ToString(d.Input) != `{"x":1}` {
		t.Errorf("describe: %+v, %v", d, err)
	}
	if _, err := start(`{"x":1}`); !errors.As(err, &exists) {
		t.Errorf("same name and input after the execution closed: %v, want ExecutionAlreadyExists", err)
	}
}

func TestRedriveRerunsAFailedExecution(t *testing.T) {
	var calls atomic.Int32
	e, c, arn := setup(t, func() error {
		if calls.Add(1) == 1 {
			return errs.Invalid("first run fails")
		}
		return nil
	}, 0)
	ctx := context.Background()
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("r"), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := e.Wait(ctx, aws.ToString(out.ExecutionArn)); x.Status != "FAILED" || x.Error != "InvalidInputError" {
		t.Fatalf("first run: %s %s", x.Status, x.Error)
	}
	var notRedrivable *types.ExecutionNotRedrivable
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: out.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	x, _ := e.Wait(ctx, aws.ToString(out.ExecutionArn))
	if x.Status != "SUCCEEDED" || x.RedriveCount != 1 || calls.Load() != 2 {
		t.Errorf("after redrive: %s, redriveCount %d, calls %d", x.Status, x.RedriveCount, calls.Load())
	}
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: out.ExecutionArn}); !errors.As(err, &notRedrivable) {
		t.Errorf("redrive of a SUCCEEDED execution: %v, want ExecutionNotRedrivable", err)
	}
}

// Names of 1–80 characters from the documented set, pages of ListExecutions and of
// GetExecutionHistory (newest first with reverseOrder).
func TestNamesAndPagesAsDocumented(t *testing.T) {
	e, c, arn := setup(t, func() error { return nil }, 0)
	ctx := context.Background()
	var invalid *types.InvalidName
	for _, name := range []string{strings.Repeat("n", 81), "has space", "colon:name"} {
		if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name)}); !errors.As(err, &invalid) {
			t.Errorf("name %q: %v, want InvalidName", name, err)
		}
	}
	var last string
	for _, name := range []string{"p1", "p2", strings.Repeat("n", 80)} {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name)})
		if err != nil {
			t.Fatalf("name %q: %v", name, err)
		}
		last = aws.ToString(out.ExecutionArn)
	}
	page, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: 2})
	if err != nil || len(page.Executions) != 2 || page.NextToken == nil || aws.ToString(page.Executions[0].ExecutionArn) != last {
		t.Fatalf("first page: %+v %v, want the 2 newest and a next token", page, err)
	}
	rest, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: 2, NextToken: page.NextToken})
	if err != nil || len(rest.Executions) != 1 || rest.NextToken != nil {
		t.Fatalf("second page: %+v %v, want the oldest and no token", rest, err)
	}
	if x, err := e.Wait(ctx, last); err != nil || x.Status != "SUCCEEDED" {
		t.Fatalf("execution: %+v %v", x, err)
	}
	var h []types.HistoryEvent
	for tok := (*string)(nil); ; {
		out, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(last), ReverseOrder: true, MaxResults: 1, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		h = append(h, out.Events...)
		if tok = out.NextToken; tok == nil {
			break
		}
		if len(h) > 20 {
			t.Fatal("history pages do not end")
		}
	}
	if len(h) < 3 || h[len(h)-1].Type != types.HistoryEventTypeExecutionStarted || h[0].Type == types.HistoryEventTypeExecutionStarted {
		t.Errorf("history newest first, one event a page: %v", h)
	}
}
