package replay

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// waitAll polls each replayed execution until it ends or the deadline passes, and records how
// it ended. A redriven execution is briefly PENDING_REDRIVE before it runs again.
func waitAll(ctx context.Context, api API, o Options, s *Summary, progress func(string, ...any)) {
	timeout, interval := o.WaitTimeout, o.PollInterval
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	if interval <= 0 {
		interval = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s.Waited = true
	for i := range s.Items {
		it := &s.Items[i]
		if it.Error != "" || it.Action == Skip {
			continue
		}
		arn := it.ARN
		if it.NewARN != "" {
			arn = it.NewARN
		}
		it.Ended = waitOne(ctx, api, arn, interval)
		switch it.Ended {
		case string(types.ExecutionStatusSucceeded):
			s.Succeeded++
		case "":
			s.StillRunning++
		default:
			s.FailedAgain++
		}
		ended := it.Ended
		if ended == "" {
			ended = "still running at the deadline"
		}
		progress("%s: %s", it.Name, ended)
	}
}

// waitOne returns the execution's status once it is no longer running, or "" at the deadline.
func waitOne(ctx context.Context, api API, arn string, interval time.Duration) string {
	for {
		d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err == nil && d.Status != types.ExecutionStatusRunning && d.Status != types.ExecutionStatusPendingRedrive {
			return string(d.Status)
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(interval):
		}
	}
}
