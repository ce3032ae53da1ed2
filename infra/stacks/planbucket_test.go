package stacks_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/infra/stacks"
)

// planBucket returns the logical id and properties of the pipeline stack's plan bucket.
func planBucket(t *testing.T, tpl map[string]any) (string, map[string]any) {
	t.Helper()
	var ids []string
	for id := range resources(tpl, "AWS::S3::Bucket") {
		if strings.HasPrefix(id, "PlanBucket") {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("want one plan bucket in the pipeline stack, found %v", ids)
	}
	return ids[0], resources(tpl, "AWS::S3::Bucket")[ids[0]]
}

// s3Statements are the statements with an s3 action in the policies whose logical id contains
// owner (a role's name in the construct tree), or every policy when owner is empty.
func s3Statements(tpl map[string]any, owner string) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for id, p := range resources(tpl, "AWS::IAM::Policy") {
		if owner != "" && !strings.Contains(id, owner) {
			continue
		}
		for _, st := range p["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			stmt := st.(map[string]any)
			if strings.Contains(fmt.Sprint(stmt["Action"]), "s3:") {
				out[id] = append(out[id], stmt)
			}
		}
	}
	return out
}

func TestPlanBucketIsPrivateEncryptedAndExpiresAfterTheRedriveWindow(t *testing.T) {
	s := synth(t)
	raw := s.raw["ssoflow-dev-pipeline"]
	id, props := planBucket(t, raw)

	want := map[string]any{
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
			map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
		}},
		"PublicAccessBlockConfiguration": map[string]any{
			"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
		},
		"OwnershipControls": map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
	}
	for k, v := range want {
		if !reflect.DeepEqual(props[k], v) {
			t.Errorf("%s: %s = %v, want %v", id, k, props[k], v)
		}
	}
	if v, ok := props["VersioningConfiguration"].(map[string]any); ok && v["Status"] == "Enabled" {
		t.Errorf("%s: versioning is on; plan chunks are content-addressed and immutable", id)
	}
	lc, _ := props["LifecycleConfiguration"].(map[string]any)
	rules, _ := lc["Rules"].([]any)
	if len(rules) != 1 {
		t.Fatalf("%s: lifecycle rules %v, want one", id, rules)
	}
	rule := rules[0].(map[string]any)
	if rule["Status"] != "Enabled" || rule["Prefix"] != "plans/" || rule["ExpirationInDays"] != 15.0 ||
		!reflect.DeepEqual(rule["AbortIncompleteMultipartUpload"], map[string]any{"DaysAfterInitiation": 1.0}) {
		t.Errorf("%s: lifecycle rule %v, want plans/ expiring after 15 days and incomplete uploads aborted after 1", id, rule)
	}
	if r := raw["Resources"].(map[string]any)[id].(map[string]any); r["DeletionPolicy"] != "Retain" {
		t.Errorf("%s: DeletionPolicy %v, want Retain", id, r["DeletionPolicy"])
	}

	// Every request without TLS is refused by the bucket policy.
	s.templates["ssoflow-dev-pipeline"].HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
		"Bucket": map[string]any{"Ref": id},
		"PolicyDocument": assertions.Match_ObjectLike(&map[string]any{
			"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect":    "Deny",
				"Action":    "s3:*",
				"Principal": map[string]any{"AWS": "*"},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})}),
		}),
	})
}

func TestOnlyResolveMayPutAndGetPlanChunks(t *testing.T) {
	s := synth(t)
	raw := s.raw["ssoflow-dev-pipeline"]
	id, _ := planBucket(t, raw)
	arn := map[string]any{"Fn::GetAtt": []any{id, "Arn"}}
	want := []map[string]any{
		{
			"Sid": "WriteAndReadPlanChunks", "Effect": "Allow",
			"Action":   []any{"s3:PutObject", "s3:GetObject"},
			"Resource": map[string]any{"Fn::Join": []any{"", []any{arn, "/plans/*"}}},
		},
		{
			"Sid": "ListPlanChunks", "Effect": "Allow",
			"Action":    "s3:ListBucket",
			"Resource":  arn,
			"Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": "plans/*"}},
		},
	}
	all := s3Statements(raw, "")
	var got []map[string]any
	for policy, stmts := range all {
		if !strings.HasPrefix(policy, "ResolveRole") {
			t.Errorf("%s: only the resolve function may use S3, found %v", policy, stmts)
			continue
		}
		got = append(got, stmts...)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("resolve's S3 statements:\n%s\nwant exactly:\n%s", g, w)
	}
	for _, st := range got {
		for _, a := range anyStringsOrOne(st["Action"]) {
			if strings.Contains(a, "*") || strings.Contains(a, "Delete") {
				t.Errorf("resolve may %s; it only puts and gets chunks", a)
			}
		}
	}
}

func TestResolveIsToldThePlanBucket(t *testing.T) {
	s := synth(t)
	raw := s.raw["ssoflow-dev-pipeline"]
	id, _ := planBucket(t, raw)
	vars := resolveEnv(t, raw)
	if !reflect.DeepEqual(vars[envnames.PlanBucket], map[string]any{"Ref": id}) {
		t.Errorf("resolve's %s = %v, want the plan bucket's name (Ref %s)", envnames.PlanBucket, vars[envnames.PlanBucket], id)
	}
	if s.app.Pipeline.PlanBucket == nil {
		t.Error("PipelineStack.PlanBucket is nil with databases configured")
	}
}

func TestNoPlanBucketWithoutDatabases(t *testing.T) {
	cfg := devConfig(t)
	cfg.Databases = nil
	cfg.Prefix = "ssoflow-nodb"
	s := synthWith(t, cfg)
	raw := s.raw["ssoflow-nodb-pipeline"]
	if b := resources(raw, "AWS::S3::Bucket"); len(b) != 0 {
		t.Errorf("no databases, yet buckets %v", b)
	}
	if st := s3Statements(raw, ""); len(st) != 0 {
		t.Errorf("no databases, yet S3 permissions %v", st)
	}
	if v, ok := resolveEnv(t, raw)[envnames.PlanBucket]; ok {
		t.Errorf("no databases, yet resolve's %s = %v", envnames.PlanBucket, v)
	}
	if s.app.Pipeline.PlanBucket != nil {
		t.Error("PipelineStack.PlanBucket is set without databases")
	}
}

// A shorter expiry would delete chunks a redriven execution still reads; a longer one is kept.
func TestPlanBucketExpiry(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Expiry"), nil)
	stacks.NewPlanBucket(stack, "Long", stacks.PlanBucketProps{ExpireAfterDays: 30})
	assertions.Template_FromStack(stack, nil).HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
		"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
			assertions.Match_ObjectLike(&map[string]any{"Prefix": "plans/", "ExpirationInDays": 30}),
		})},
	})
	defer func() {
		if recover() == nil {
			t.Error("ExpireAfterDays 7 accepted; chunks must outlive the 14-day redrive window")
		}
	}()
	stacks.NewPlanBucket(stack, "Short", stacks.PlanBucketProps{ExpireAfterDays: 7})
}

func resolveEnv(t *testing.T, tpl map[string]any) map[string]any {
	t.Helper()
	for id, p := range resources(tpl, "AWS::Lambda::Function") {
		if !strings.HasPrefix(id, "ResolveFunction") {
			continue
		}
		env, _ := p["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		return vars
	}
	t.Fatal("no resolve function in the pipeline stack")
	return nil
}

func anyStringsOrOne(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	return anyStrings(v)
}
