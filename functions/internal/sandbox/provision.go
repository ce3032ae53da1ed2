package sandbox

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

// RunProvision runs the provision state machine for one EventBridge event, as an execution
// named name of the sandbox's Step Functions emulator, whose failures reach the notify function
// through the status-change rule as on AWS, and returns what the run did.
func (s *Sandbox) RunProvision(ctx context.Context, event json.RawMessage, name string) (*localsfn.Execution, error) {
	emu, api, err := s.provisionSFN()
	if err != nil {
		return nil, err
	}
	out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sfnemu.ARN(s.Provision.Name)), Name: aws.String(name), Input: aws.String(string(event))})
	if err != nil {
		return nil, fmt.Errorf("start execution %s: %w", name, err)
	}
	x, err := emu.Wait(ctx, aws.ToString(out.ExecutionArn))
	if err != nil {
		return nil, err
	}
	if x.Local == nil {
		return nil, fmt.Errorf("execution %s ended %s: %s %s", name, x.Status, x.Error, x.Cause)
	}
	return x.Local, nil
}

// provisionSFN is the sandbox's Step Functions emulator running the provision state machine,
// started on first use. Each execution gets the handlers as they are when it starts.
func (s *Sandbox) provisionSFN() (*sfnemu.Emulator, *sfn.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provision != nil {
		return s.provision, s.provisionAPI, nil
	}
	emu := sfnemu.New(sfnemu.Machine{ARN: sfnemu.ARN(s.Provision.Name), Definition: s.Provision,
		ForExecution: func(_ string, o *localsfn.Options) { o.Handlers, o.Functions = s.Handlers(), s.Functions }})
	url := s.serve(emu)
	w, err := WatchFailures(emu, url, *s.Notifier, s.Log)
	if err != nil {
		emu.Close()
		return nil, nil, err
	}
	s.watchers = append(s.watchers, w)
	s.provision, s.provisionAPI = emu, sfnemu.NewClient(url)
	return emu, s.provisionAPI, nil
}
