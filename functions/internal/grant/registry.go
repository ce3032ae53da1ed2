package grant

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// ExecutionsAPI is the part of the Step Functions client the registry uses.
type ExecutionsAPI interface {
	ListExecutions(context.Context, *sfn.ListExecutionsInput, ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error)
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// Active is one running execution of the grant state machine.
type Active struct {
	Name    string // the grant id (or <grant id>-revoke)
	ARN     string
	Started time.Time
	Request Request
}

// Registry reads the active grants: the running executions of the grant state machine and their
// inputs. There is no other record.
type Registry struct {
	API             ExecutionsAPI
	StateMachineArn string
}

// Active lists the running executions, newest first.
func (r *Registry) Active(ctx context.Context) ([]Active, error) {
	var out []Active
	var token *string
	for {
		page, err := r.API.ListExecutions(ctx, &sfn.ListExecutionsInput{
			StateMachineArn: aws.String(r.StateMachineArn), StatusFilter: types.ExecutionStatusRunning,
			MaxResults: 100, NextToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list running grant executions of %s: %w", r.StateMachineArn, err)
		}
		for _, e := range page.Executions {
			d, err := r.API.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn})
			if err != nil {
				return nil, fmt.Errorf("describe grant execution %s: %w", aws.ToString(e.Name), err)
			}
			if d.Status != types.ExecutionStatusRunning {
				continue // ended between the list and the describe
			}
			var req Request
			if err := json.Unmarshal([]byte(aws.ToString(d.Input)), &req); err != nil {
				return nil, fmt.Errorf("grant execution %s: input is not a grant request: %w", aws.ToString(e.Name), err)
			}
			out = append(out, Active{Name: aws.ToString(e.Name), ARN: aws.ToString(e.ExecutionArn), Started: aws.ToTime(d.StartDate), Request: req})
		}
		if page.NextToken == nil {
			return out, nil
		}
		token = page.NextToken
	}
}

// Holders are the other grants that hold the same access as req: running, not a revoke, and not
// the execution named self. When stillNeeding is set, only those whose end is after now count:
// a grant at or past its end is removing its access too, and must not keep it for the other.
func Holders(active []Active, req Request, self string, now time.Time, stillNeeding bool) []string {
	var names []string
	for _, a := range active {
		if a.Name == self || a.Request.Mode == ModeRevoke || a.Request.Access() != req.Access() {
			continue
		}
		if stillNeeding {
			end, err := a.Request.EndTime()
			if err != nil || !end.After(now) {
				continue
			}
		}
		names = append(names, a.Name)
	}
	return names
}
