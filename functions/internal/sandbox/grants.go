package sandbox

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/orgsemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/sfnemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/ssoadminemu"
	"github.com/ssoflow/ssoflow/functions/internal/grant"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
)

// InstanceArn is the sandbox's Identity Center instance.
const InstanceArn = "arn:aws:sso:::instance/ssoins-1234567890abcdef"

// Grants is the sandbox's just-in-time path: sso-admin and Organizations emulators, a Step
// Functions emulator running the real grant.asl.json, and the real grant handlers behind the
// real SDK clients.
type Grants struct {
	SSO             *ssoadminemu.Server
	Orgs            *orgsemu.Server // the organization: Account, ACTIVE, is its management account
	SFN             *sfnemu.Emulator
	SFNURL          string
	StateMachineArn string
	Service         *grant.Service
}

// StartGrants adds the just-in-time path. Every grant's wait until its end is replaced by
// waitUntilEnd, and the status polls wait 20 ms, so a demo or test sees the automatic end.
func (s *Sandbox) StartGrants(waitUntilEnd time.Duration) (*Grants, error) {
	g := &Grants{SSO: ssoadminemu.New(InstanceArn), Orgs: orgsemu.New(Account), SFN: sfnemu.New(), StateMachineArn: sfnemu.ARN("grant")}
	// Validate checks a grant's account with Organizations: the sandbox's account is an ACTIVE
	// member, so the demo's grant on it goes through. Other accounts are seeded through Orgs.
	g.Orgs.AddAccount(Account, "ssoflow-local", orgsemu.Active)
	ssoURL, orgsURL := s.serve(g.SSO), s.serve(g.Orgs)
	g.SFNURL = s.serve(g.SFN)
	idc := idstoreemu.NewClient(s.identityURL, idstore.WithoutThrottleRetries)
	g.Service = &grant.Service{
		Config:    grant.Config{InstanceArn: InstanceArn, MaxDuration: 12 * time.Hour, TopicArn: TopicArn, StateMachineArn: g.StateMachineArn},
		SSO:       ssoadminemu.NewClient(ssoURL),
		Orgs:      orgsemu.NewClient(orgsURL),
		Directory: idstore.NewReader(idc, IdentityStoreID, idstore.Options{}),
		Members:   idstore.NewWriter(idc, IdentityStoreID, idstore.Options{}),
		Grants:    &grant.Registry{API: sfnemu.NewClient(g.SFNURL), StateMachineArn: g.StateMachineArn},
		SNS:       s.Notifier.SNS.(*sns.Client),
		Log:       s.Log,
	}
	g.SFN.AddMachine(sfnemu.Machine{
		ARN: g.StateMachineArn, Definition: s.grantMachine,
		Options: localsfn.Options{
			Handlers:    map[string]lambda.Handler{"GrantFunctionArn": lambda.NewHandler(g.Service.Handle)},
			Waits:       map[string]time.Duration{"WaitUntilEnd": waitUntilEnd},
			WaitDefault: 20 * time.Millisecond,
		},
	})
	if err := s.WatchFailures(g.SFN, g.SFNURL); err != nil {
		return nil, err
	}
	s.grants = g
	return g, nil
}
