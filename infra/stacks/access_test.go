package stacks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/infra/config"
	"github.com/ssoflow/ssoflow/infra/stacks"
)

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func accessTemplate(t *testing.T, a *stacks.App) map[string]any {
	t.Helper()
	if a.Access == nil {
		t.Fatal("the app has no access stack although the config has an access block")
	}
	return *assertions.Template_FromStack(a.Access.Stack, nil).ToJSON()
}

// byName indexes permission sets by their Name property, remembering the logical id.
func byName(t *testing.T, tpl map[string]any) (props map[string]map[string]any, logical map[string]string) {
	t.Helper()
	props, logical = map[string]map[string]any{}, map[string]string{}
	for id, p := range resources(tpl, "AWS::SSO::PermissionSet") {
		name := p["Name"].(string)
		props[name], logical[id] = p, name
	}
	return props, logical
}

// Must show 1: the permission sets are the sample policies/ set as configured in cdk.json.
func TestAccessPermissionSetsFromPolicyFiles(t *testing.T) {
	s := synth(t)
	cfg := devConfig(t)
	tpl := accessTemplate(t, s.app)
	if got := *s.app.Access.StackName(); got != "ssoflow-dev-access" {
		t.Errorf("access stack name %q", got)
	}
	sets, _ := byName(t, tpl)
	if len(sets) != 2 {
		t.Fatalf("want ReadOnly and DatabaseDeveloper, got %d permission sets: %v", len(sets), sets)
	}
	ro, dd := sets["ReadOnly"], sets["DatabaseDeveloper"]
	if ro == nil || dd == nil {
		t.Fatalf("permission sets %v", sets)
	}
	for name, p := range sets {
		if p["InstanceArn"] != cfg.IdentityCenter.InstanceArn {
			t.Errorf("%s: InstanceArn %v, want %s", name, p["InstanceArn"], cfg.IdentityCenter.InstanceArn)
		}
	}
	if !slices.Equal(anyStrings(ro["ManagedPolicies"]), []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) || ro["SessionDuration"] != "PT4H" || ro["InlinePolicy"] != nil {
		t.Errorf("ReadOnly: %v", ro)
	}
	want := readJSON(t, filepath.Join(repoRoot, "policies", "permission-sets", "DatabaseDeveloper.json"))
	if !reflect.DeepEqual(dd["InlinePolicy"], want) {
		t.Errorf("DatabaseDeveloper inline policy\n got %v\nwant %v (policies/permission-sets/DatabaseDeveloper.json)", dd["InlinePolicy"], want)
	}
	if dd["SessionDuration"] != "PT8H" || dd["ManagedPolicies"] != nil {
		t.Errorf("DatabaseDeveloper: %v", dd)
	}
}

// Must show 1: one assignment per (group, permission set, account), to the group's id.
func TestAccessAssignmentsFromConfig(t *testing.T) {
	s := synth(t)
	cfg := devConfig(t)
	tpl := accessTemplate(t, s.app)
	_, logical := byName(t, tpl)
	var got []string
	for id, p := range resources(tpl, "AWS::SSO::Assignment") {
		if p["PrincipalType"] != "GROUP" || p["TargetType"] != "AWS_ACCOUNT" || p["InstanceArn"] != cfg.IdentityCenter.InstanceArn {
			t.Errorf("%s: %v", id, p)
		}
		att, _ := p["PermissionSetArn"].(map[string]any)["Fn::GetAtt"].([]any)
		if len(att) != 2 || att[1] != "PermissionSetArn" || logical[att[0].(string)] == "" {
			t.Errorf("%s: PermissionSetArn %v is not the ARN of a permission set in this stack", id, p["PermissionSetArn"])
			continue
		}
		got = append(got, p["PrincipalId"].(string)+" "+logical[att[0].(string)]+" "+p["TargetId"].(string))
	}
	sort.Strings(got)
	dba, dev := cfg.Access.Groups["AWS_DBA"], cfg.Access.Groups["AWS_Developers"]
	want := []string{
		dba + " ReadOnly 111122223333",
		dba + " ReadOnly 444455556666",
		dev + " DatabaseDeveloper 111122223333",
		dev + " ReadOnly 111122223333",
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("assignments\n got %q\nwant %q", got, want)
	}
}

// Editing a policy file changes the permission set at the next synth (and so the next deploy).
func TestAccessPolicyFileEditChangesThePermissionSet(t *testing.T) {
	file := filepath.Join(t.TempDir(), "Dev.json")
	inline := func(resource string) any {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"` + resource + `"}]}`
		if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := devConfigWith(t, func(acc map[string]any) {
			acc["permissionSets"] = []any{map[string]any{"name": "Dev", "inlinePolicyFile": file}}
			acc["assignments"] = []any{}
		})
		app := awscdk.NewApp(nil)
		st := stacks.NewAccessStack(app, "access", stacks.AccessStackProps{Config: cfg})
		sets, _ := byName(t, *assertions.Template_FromStack(st.Stack, nil).ToJSON())
		return sets["Dev"]["InlinePolicy"].(map[string]any)["Statement"].([]any)[0].(map[string]any)["Resource"]
	}
	before := inline("arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/${aws:PrincipalTag/name}")
	after := inline("arn:aws:rds-db:us-east-1:111122223333:dbuser:db-XYZ/${aws:PrincipalTag/name}")
	if before != "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/${aws:PrincipalTag/name}" ||
		after != "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-XYZ/${aws:PrincipalTag/name}" {
		t.Errorf("inline policy resource before %v, after %v: the edit did not reach the template", before, after)
	}
}

// devConfigWith parses cdk.json's dev block after mutate changed its access block.
func devConfigWith(t *testing.T, mutate func(acc map[string]any)) *config.Config {
	t.Helper()
	var f struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	var dev map[string]any
	if err := json.Unmarshal(f.Context["dev"], &dev); err != nil {
		t.Fatal(err)
	}
	mutate(dev["access"].(map[string]any))
	cfg, err := config.Parse("dev", dev)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestAccessCdkNagClean(t *testing.T) {
	nagClean(t, synth(t).app.Access.Stack)
}

func nagClean(t *testing.T, st awscdk.Stack) {
	t.Helper()
	ann := assertions.Annotations_FromStack(st)
	for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: cdk-nag error at %s: %v", *st.StackName(), *e.Id, e.Entry.Data)
	}
	for _, w := range *ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("%s: cdk-nag warning at %s: %v", *st.StackName(), *w.Id, w.Entry.Data)
	}
}
