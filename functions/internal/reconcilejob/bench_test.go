package reconcilejob_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/localsfn"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/reconcilejob"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// The reconcile state machine on the core benchmark's directory (10,000 users, 1,000 AWS_
// groups, 50,000 memberships, 1 % drift): Plan, then the Map applying one shard per item, each
// re-reading its shard. It reports the requests against the single-process run's 2,524
// (docs/benchmarks.md, Reconcile). Run with
//
//	go test ./internal/reconcilejob/ -run '^$' -bench StateMachine10k -benchtime 1x
func BenchmarkStateMachine10k(b *testing.B) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{SharedDirectory: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sb.Close)
	sb.Okta.SetRateLimit(1_000_000)
	ids := httptest.NewServer(sb.Identity)
	b.Cleanup(ids.Close)
	rng := rand.New(rand.NewPCG(10_000, 1))
	oktaU, icU := make([]string, 10_000), make([]string, 10_000)
	for i := range oktaU {
		l := fmt.Sprintf("user%05d@example.com", i)
		oktaU[i] = sb.Okta.AddUser(l)
		icU[i] = sb.SCIM.AddUser(l, oktaU[i])
	}
	for g := range 1_000 {
		name := fmt.Sprintf("AWS_Team%04d", g)
		og, ig := sb.Okta.AddGroup(name), sb.SCIM.AddGroup(name)
		var icMembers []string
		for _, u := range rng.Perm(len(oktaU))[:50] {
			drift := rng.Float64() < 0.01
			icOnly := drift && rng.IntN(2) == 0 // a drifted membership is in one of the two only
			if !drift || icOnly {
				icMembers = append(icMembers, icU[u])
			}
			if !icOnly {
				if err := sb.Okta.AddMember(og, oktaU[u]); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := sb.SCIM.AddMembers(ig, icMembers...); err != nil {
			b.Fatal(err)
		}
	}
	setup := reconcilejob.Setup{OktaURL: sb.OktaURL, OktaToken: sandbox.OktaToken, SCIMURL: sb.SCIMURL, SCIMToken: sandbox.SCIMToken,
		AWS: awsconf.Local(), IdentityStoreEndpoint: ids.URL, RequestsPerSecond: -1}
	h := &reconcilejob.Handler{New: setup.Reconciler, Config: reconcile.Config{IdentityStoreID: sandbox.IdentityStoreID, GroupPrefix: "AWS_",
		Force: true, Concurrency: 8}}
	m, err := localsfn.LoadNamed("reconcile", nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		okta0, scim0, ids0 := sb.Okta.Requests(""), sb.SCIM.TotalRequests(), idsRequests(sb)
		start := time.Now()
		x, err := m.Run(ctx, json.RawMessage(scheduled), localsfn.Options{ExecutionName: "bench", Handlers: map[string]lambda.Handler{
			"ReconcileFunctionArn": lambda.NewHandler(h.Handle)}})
		wall := time.Since(start)
		if err != nil || x.Status != "SUCCEEDED" {
			b.Fatalf("%v %+v", err, x)
		}
		var out reconcilejob.Outcome
		_ = json.Unmarshal(x.Output, &out)
		shards := 0
		for _, e := range x.Events {
			if e.State != nil && e.State.Name == "ApplyShard" && e.Type == "StateEntered" {
				shards++
			}
		}
		okta, scim, idsReq := sb.Okta.Requests("")-okta0, sb.SCIM.TotalRequests()-scim0, idsRequests(sb)-ids0
		b.ReportMetric(float64(okta+scim+idsReq), "requests")
		b.ReportMetric(float64(shards), "shards")
		b.ReportMetric(float64(out.Added+out.Removed), "changes")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.Logf("okta %d, scim %d, identity store %d requests; %d shards; +%d -%d in %d groups", okta, scim, idsReq, shards, out.Added, out.Removed, out.Groups)
	}
}

func idsRequests(sb *sandbox.Sandbox) int {
	n := 0
	for _, op := range []string{"ListUsers", "ListGroups", "ListGroupMemberships", "DescribeUser", "GetGroupId", "GetUserId", "IsMemberInGroups"} {
		n += sb.Identity.Requests(op)
	}
	return n
}
