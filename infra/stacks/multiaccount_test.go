package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/infra/config"
	"github.com/ssoflow/ssoflow/infra/stacks"
)

const (
	pipelineAccount = "111111111111"
	smRoleArn       = "arn:aws:iam::111111111111:role/ssoflow-multi-provision-sfn"
)

// multiAccountConfig is the dev block with the pipeline pinned to an account and three more
// databases in two workload accounts: billing and invoices in 222222222222/us-west-2 (one VPC),
// ledger in 333333333333/eu-west-1. orders stays in the pipeline's account and region.
func multiAccountConfig(t *testing.T) *config.Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	var block map[string]any
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.Context["dev"], &block); err != nil {
		t.Fatal(err)
	}
	block["account"] = pipelineAccount
	block["prefix"] = "ssoflow-multi"
	orders := block["databases"].([]any)[0].(map[string]any)
	remote := func(name, account, region, vpc, subnet string) map[string]any {
		d := map[string]any{}
		for k, v := range orders {
			d[k] = v
		}
		d["name"], d["database"], d["account"], d["region"] = name, name, account, region
		d["endpoint"] = name + ".abcdefghijkl." + region + ".rds.amazonaws.com"
		d["vpcId"], d["subnetIds"], d["securityGroupId"] = vpc, []any{subnet}, "sg-0b0b0b0b0b0b0b0b0"
		return d
	}
	block["databases"] = []any{orders,
		remote("billing", "222222222222", "us-west-2", "vpc-0222222222222222a", "subnet-0222222222222222a"),
		remote("ledger", "333333333333", "eu-west-1", "vpc-0333333333333333a", "subnet-0333333333333333a"),
		remote("invoices", "222222222222", "us-west-2", "vpc-0222222222222222a", "subnet-0222222222222222b"),
	}
	cfg, err := config.Parse("multi", block)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type multiSynth struct {
	app *stacks.App
	raw map[string]map[string]any // stack name → template
}

func synthMulti(t *testing.T) multiSynth {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"aws:cdk:bundling-stacks": []string{}}})
	a := stacks.NewApp(app, stacks.AppProps{Config: multiAccountConfig(t), RepoRoot: repoRoot})
	out := multiSynth{app: a, raw: map[string]map[string]any{}}
	for _, s := range allStacks(a) {
		out.raw[*s.StackName()] = *assertions.Template_FromStack(s, nil).ToJSON()
	}
	return out
}

func allStacks(a *stacks.App) []awscdk.Stack {
	list := []awscdk.Stack{a.Notifications.Stack, a.Pipeline.Stack}
	for _, d := range a.Databases {
		list = append(list, d.Stack)
	}
	return list
}

// Issue 8, must show 1: one pipeline stack, one database-access stack per workload
// (account, region), each in its own environment, deployed before the pipeline.
func TestMultiAccountStacksPerPlacement(t *testing.T) {
	m := synthMulti(t)
	want := map[string][2]string{
		"ssoflow-multi-databases-222222222222-us-west-2": {"222222222222", "us-west-2"},
		"ssoflow-multi-databases-333333333333-eu-west-1": {"333333333333", "eu-west-1"},
	}
	if len(m.app.Databases) != len(want) {
		t.Fatalf("%d database-access stacks, want %d", len(m.app.Databases), len(want))
	}
	deps := map[string]bool{}
	for _, d := range *m.app.Pipeline.Stack.Dependencies() {
		deps[*d.StackName()] = true
	}
	for _, d := range m.app.Databases {
		name := *d.StackName()
		env, ok := want[name]
		if !ok {
			t.Errorf("unexpected stack %s", name)
			continue
		}
		if *d.Account() != env[0] || *d.Region() != env[1] {
			t.Errorf("%s deploys to %s/%s, want %s/%s", name, *d.Account(), *d.Region(), env[0], env[1])
		}
		if !deps[name] {
			t.Errorf("the pipeline stack does not depend on %s: `cdk deploy --all` could deploy it first", name)
		}
	}
	if got := *m.app.Pipeline.Stack.Account(); got != pipelineAccount {
		t.Errorf("pipeline account %s, want %s", got, pipelineAccount)
	}
	// Each remote provisioner is in its own VPC, has only its placement's databases, and signs
	// its IAM tokens for its own region; the pipeline's provisioner keeps orders only.
	wantDBs := map[string]struct {
		region string
		names  []string
	}{
		"ssoflow-multi-databases-222222222222-us-west-2": {"us-west-2", []string{"billing", "invoices"}},
		"ssoflow-multi-databases-333333333333-eu-west-1": {"eu-west-1", []string{"ledger"}},
		"ssoflow-multi-pipeline":                         {"us-east-1", []string{"orders"}},
	}
	for stack, w := range wantDBs {
		fn := dbusersFunction(t, m.raw[stack])
		var dbs []struct{ Name, Region string }
		vars := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		if err := json.Unmarshal([]byte(vars[envnames.Databases].(string)), &dbs); err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		var got []string
		for _, d := range dbs {
			got = append(got, d.Name)
			if d.Region != w.region {
				t.Errorf("%s: database %s signs tokens for %s, want %s", stack, d.Name, d.Region, w.region)
			}
		}
		if !slices.Equal(got, w.names) {
			t.Errorf("%s provisions %v, want %v", stack, got, w.names)
		}
		if fn["VpcConfig"] == nil {
			t.Errorf("%s: the provisioner is not in the databases' VPC", stack)
		}
	}
}

func dbusersFunction(t *testing.T, tpl map[string]any) map[string]any {
	t.Helper()
	for _, p := range resources(tpl, "AWS::Lambda::Function") {
		if d, _ := p["Description"].(string); strings.Contains(d, "database users") {
			return p
		}
	}
	t.Fatal("no dbusers function in the stack")
	return nil
}

// Issue 8, must show 1: the invoke role in each workload account trusts the pipeline's state
// machine role by exact ARN (no wildcard principal), may invoke its own provisioner only, and
// the pipeline's resolve function and state machine role name exactly those ARNs.
func TestMultiAccountTrustIsTheStateMachineRoleOnly(t *testing.T) {
	m := synthMulti(t)
	pipe := m.raw["ssoflow-multi-pipeline"]
	// The state machine's role has the fixed name the far side trusts.
	var smRole string
	for id, p := range resources(pipe, "AWS::IAM::Role") {
		if p["RoleName"] == "ssoflow-multi-provision-sfn" {
			smRole = id
		}
	}
	if smRole == "" {
		t.Fatal("the provision state machine's role is not named ssoflow-multi-provision-sfn")
	}
	for _, p := range resources(pipe, "AWS::StepFunctions::StateMachine") {
		if p["StateMachineName"] == "ssoflow-multi-provision" && !strings.Contains(fmt.Sprint(p["RoleArn"]), smRole) {
			t.Errorf("the provision state machine runs as %v, want %s", p["RoleArn"], smRole)
		}
	}
	// What resolve hands the state machine, per remote database.
	var targets map[string]struct{ FunctionArn, RoleArn string }
	for _, p := range resources(pipe, "AWS::Lambda::Function") {
		vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		if v, ok := vars[envnames.DatabaseTargets]; ok {
			if err := json.Unmarshal([]byte(v.(string)), &targets); err != nil {
				t.Fatal(err)
			}
			if _, isResolve := vars[envnames.IdentityStoreID]; !isResolve {
				t.Errorf("%s is set on a function other than resolve", envnames.DatabaseTargets)
			}
		}
	}
	if len(targets) != 3 || targets["orders"].RoleArn != "" {
		t.Fatalf("database targets %v, want billing, invoices and ledger only", targets)
	}
	var assumable []string
	for _, d := range m.app.Databases {
		name, account, region := *d.StackName(), *d.Account(), *d.Region()
		tpl := m.raw[name]
		fns := resources(tpl, "AWS::Lambda::Function")
		fn := dbusersFunction(t, tpl)
		fnArn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, fn["FunctionName"])
		roles := resources(tpl, "AWS::IAM::Role")
		var invoke map[string]any
		var invokeID string
		for id, r := range roles {
			if n, _ := r["RoleName"].(string); n != "" {
				invoke, invokeID = r, id
			}
		}
		if invoke == nil {
			t.Fatalf("%s: no named invoke role", name)
		}
		roleArn := fmt.Sprintf("arn:aws:iam::%s:role/%s", account, invoke["RoleName"])
		assumable = append(assumable, roleArn)
		for db, tg := range targets {
			if strings.Contains(tg.FunctionArn, ":"+account+":") && (tg.FunctionArn != fnArn || tg.RoleArn != roleArn) {
				t.Errorf("resolve routes %s to %s with %s; %s deploys %s and %s", db, tg.FunctionArn, tg.RoleArn, name, fnArn, roleArn)
			}
		}
		// Trust: one statement, the pipeline account's principal pinned to the state machine role.
		doc, _ := json.Marshal(invoke["AssumeRolePolicyDocument"])
		var trust struct {
			Statement []struct {
				Action    string
				Effect    string
				Principal map[string]any
				Condition map[string]map[string]string
			}
		}
		if err := json.Unmarshal(doc, &trust); err != nil {
			t.Fatal(err)
		}
		if len(trust.Statement) != 1 {
			t.Fatalf("%s: trust has %d statements, want 1: %s", name, len(trust.Statement), doc)
		}
		st := trust.Statement[0]
		principal, _ := json.Marshal(st.Principal)
		if st.Action != "sts:AssumeRole" || st.Effect != "Allow" || len(st.Principal) != 1 ||
			!strings.Contains(string(principal), ":iam::"+pipelineAccount+":root") || strings.Contains(string(principal), `"*"`) {
			t.Errorf("%s: trust statement %s, want the pipeline account only", name, doc)
		}
		if got := st.Condition["ArnEquals"]["aws:PrincipalArn"]; got != smRoleArn || len(st.Condition) != 1 {
			t.Errorf("%s: trust condition %v, want ArnEquals aws:PrincipalArn %s", name, st.Condition, smRoleArn)
		}
		// No principal in any trust policy of the stack is a wildcard.
		for id, r := range roles {
			if b, _ := json.Marshal(r["AssumeRolePolicyDocument"]); strings.Contains(string(b), `"AWS":"*"`) || strings.Contains(string(b), `"Principal":"*"`) {
				t.Errorf("%s/%s: wildcard principal %s", name, id, b)
			}
		}
		// The invoke role may call lambda:InvokeFunction on its own provisioner, nothing else.
		var fnID string
		for id, p := range fns {
			if p["FunctionName"] == fn["FunctionName"] {
				fnID = id
			}
		}
		statements := policyStatements(t, tpl, invokeID)
		want := fmt.Sprintf(`[{"Action":"lambda:InvokeFunction","Effect":"Allow","Resource":{"Fn::GetAtt":["%s","Arn"]},"Sid":"InvokeProvisionerOnly"}]`, fnID)
		if got, _ := json.Marshal(statements); string(got) != want {
			t.Errorf("%s: invoke role policy %s, want %s", name, got, want)
		}
		// The far side never holds identity store or Secrets Manager access, nor secrets.
		for id := range roles {
			for _, s := range policyStatements(t, tpl, id) {
				if a := fmt.Sprint(s["Action"]); strings.Contains(a, "identitystore") || strings.Contains(a, "secretsmanager") || a == "*" {
					t.Errorf("%s/%s: %s may do %s; the workload account gets resolved names only", name, id, id, a)
				}
			}
		}
		if s := resources(tpl, "AWS::SecretsManager::Secret"); len(s) != 0 {
			t.Errorf("%s: holds secrets %v", name, s)
		}
	}
	// The state machine's role may assume exactly those invoke roles.
	got := policyStatements(t, pipe, smRole)
	var sts []string
	for _, s := range got {
		if fmt.Sprint(s["Action"]) == "sts:AssumeRole" {
			sts = append(sts, anyStrings(s["Resource"])...)
		}
	}
	slices.Sort(sts)
	slices.Sort(assumable)
	if !slices.Equal(sts, assumable) {
		t.Errorf("state machine role may assume %v, want exactly %v", sts, assumable)
	}
}

// policyStatements are the statements of every AWS::IAM::Policy attached to the role with
// logical id roleID.
func policyStatements(t *testing.T, tpl map[string]any, roleID string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, p := range resources(tpl, "AWS::IAM::Policy") {
		attached := false
		for _, r := range p["Roles"].([]any) {
			if ref, _ := r.(map[string]any); ref["Ref"] == roleID {
				attached = true
			}
		}
		if !attached {
			continue
		}
		for _, s := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

// Issue 8, must show 1: cdk-nag AwsSolutions is clean on every stack of the multi-account app.
func TestMultiAccountCdkNagClean(t *testing.T) {
	m := synthMulti(t)
	for _, st := range allStacks(m.app) {
		ann := assertions.Annotations_FromStack(st)
		for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			t.Errorf("%s: cdk-nag error at %s: %v", *st.StackName(), *e.Id, e.Entry.Data)
		}
		for _, w := range *ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			t.Errorf("%s: cdk-nag warning at %s: %v", *st.StackName(), *w.Id, w.Entry.Data)
		}
	}
}

// The shipped single-account dev block is unchanged in behaviour: no database-access stack,
// no fixed state machine role name, no remote targets, no sts:AssumeRole.
func TestSingleAccountDeploymentHasNoRemoteSide(t *testing.T) {
	s := synth(t)
	if len(s.app.Databases) != 0 {
		t.Errorf("dev config has %d database-access stacks, want 0", len(s.app.Databases))
	}
	pipe := s.raw["ssoflow-dev-pipeline"]
	for id, p := range resources(pipe, "AWS::IAM::Role") {
		if p["RoleName"] != nil {
			t.Errorf("%s: named role %v in a single-account deployment", id, p["RoleName"])
		}
	}
	if b, _ := json.Marshal(pipe); strings.Contains(string(b), envnames.DatabaseTargets) {
		t.Errorf("single-account pipeline sets %s", envnames.DatabaseTargets)
	}
	for id, p := range resources(pipe, "AWS::IAM::Policy") {
		if b, _ := json.Marshal(p["PolicyDocument"]); strings.Contains(string(b), "sts:AssumeRole") {
			t.Errorf("%s: single-account pipeline may assume a role: %s", id, b)
		}
	}
}
