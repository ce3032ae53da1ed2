package stacks_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/functions/asl"
	"github.com/ssoflow/ssoflow/infra/config"
	"github.com/ssoflow/ssoflow/infra/stacks"
)

const repoRoot = "../.."

// devConfig is the dev block of the cdk.json the repository ships, so these tests also prove
// the shipped example configuration is valid.
func devConfig(t *testing.T) *config.Config {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("dev", []byte(f.Context["dev"]))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type synthesized struct {
	app       *stacks.App
	templates map[string]assertions.Template
	raw       map[string]map[string]any
}

var (
	once   sync.Once
	shared synthesized
)

// synth builds the app once for the whole package: a synth costs seconds. Bundling is skipped
// (the functions are built by `make synth`), everything else is as deployed.
func synth(t *testing.T) synthesized {
	t.Helper()
	once.Do(func() { shared = synthWith(t, devConfig(t)) })
	if shared.app == nil {
		t.Fatal("synth failed in an earlier test")
	}
	return shared
}

func synthWith(t *testing.T, cfg *config.Config) synthesized {
	t.Helper()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"aws:cdk:bundling-stacks": []string{}}})
	a := stacks.NewApp(app, stacks.AppProps{Config: cfg, RepoRoot: repoRoot})
	out := synthesized{app: a, templates: map[string]assertions.Template{}, raw: map[string]map[string]any{}}
	for _, s := range []awscdk.Stack{a.Notifications.Stack, a.Pipeline.Stack} {
		tpl := assertions.Template_FromStack(s, nil)
		out.templates[*s.StackName()] = tpl
		out.raw[*s.StackName()] = *tpl.ToJSON()
	}
	return out
}

func resources(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl["Resources"].(map[string]any) {
		rm := r.(map[string]any)
		if rm["Type"] == typ {
			props, _ := rm["Properties"].(map[string]any)
			out[id] = props
		}
	}
	return out
}

// Must show 2: every ${Name} in every ASL file has a substitution in the stack that deploys it,
// every ASL file is deployed, and every definition passes asl-validator.
func TestEveryPlaceholderHasASubstitution(t *testing.T) {
	s := synth(t)
	files, err := filepath.Glob(filepath.Join(repoRoot, "statemachines", "*.asl.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no statemachines/*.asl.json found (%v)", err)
	}
	var machines []map[string]any
	for _, tpl := range s.raw {
		for _, props := range resources(tpl, "AWS::StepFunctions::StateMachine") {
			machines = append(machines, props)
		}
	}
	for _, f := range files {
		def, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := json.Unmarshal(def, &want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var deployed map[string]any
		for _, m := range machines {
			var got any
			if ds, ok := m["DefinitionString"].(string); ok && json.Unmarshal([]byte(ds), &got) == nil && reflect.DeepEqual(got, want) {
				deployed = m
			}
		}
		if deployed == nil {
			t.Errorf("%s is deployed by no stack (no state machine has its definition)", filepath.Base(f))
			continue
		}
		subs, _ := deployed["DefinitionSubstitutions"].(map[string]any)
		var keys []string
		for k := range subs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		placeholders := asl.Placeholders(def)
		for _, p := range placeholders {
			if _, ok := subs[p]; !ok {
				t.Errorf("%s: ${%s} has no DefinitionSubstitutions entry (have %v)", filepath.Base(f), p, keys)
			}
		}
		for _, k := range keys {
			if !slices.Contains(placeholders, k) {
				t.Errorf("%s: substitution %s is not used by the definition", filepath.Base(f), k)
			}
		}
		validate(t, f, def)
	}
}

// validate runs asl-validator on the definition with every placeholder replaced by an ARN of
// the kind it stands for.
func validate(t *testing.T, file string, def []byte) {
	t.Helper()
	subs := map[string]string{}
	for _, p := range asl.Placeholders(def) {
		subs[p] = "arn:aws:lambda:us-east-1:111122223333:function:" + p
	}
	concrete, err := asl.Substitute(def, subs)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(tmp, concrete, 0o644); err != nil {
		t.Fatal(err)
	}
	bin, _ := filepath.Abs(filepath.Join(repoRoot, "node_modules", ".bin", "asl-validator"))
	out, err := exec.Command(bin, "--json-path", tmp).CombinedOutput()
	if err != nil {
		t.Errorf("asl-validator rejects %s: %v\n%s", filepath.Base(file), err, out)
	}
}

// Must show 4: cdk-nag AwsSolutions reports no unsuppressed error or warning.
func TestCdkNagAwsSolutionsClean(t *testing.T) {
	s := synth(t)
	for _, st := range []awscdk.Stack{s.app.Notifications.Stack, s.app.Pipeline.Stack} {
		ann := assertions.Annotations_FromStack(st)
		errs := ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		for _, e := range *errs {
			t.Errorf("%s: cdk-nag error at %s: %v", *st.StackName(), *e.Id, e.Entry.Data)
		}
		warns := ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		for _, w := range *warns {
			t.Errorf("%s: cdk-nag warning at %s: %v", *st.StackName(), *w.Id, w.Entry.Data)
		}
	}
}

func TestFunctionsAreGoOnArmWithTracingAndJSONLogs(t *testing.T) {
	s := synth(t)
	fns := resources(s.raw["ssoflow-dev-pipeline"], "AWS::Lambda::Function")
	if len(fns) == 0 {
		t.Fatal("pipeline stack has no functions")
	}
	for id, p := range fns {
		if !strings.HasPrefix(p["Description"].(string), "ssoflow") {
			continue // functions CDK adds by itself
		}
		if p["Runtime"] != "provided.al2023" || !slices.Equal(anyStrings(p["Architectures"]), []string{"arm64"}) {
			t.Errorf("%s: runtime %v %v, want provided.al2023 arm64", id, p["Runtime"], p["Architectures"])
		}
		if tc, _ := p["TracingConfig"].(map[string]any); tc["Mode"] != "Active" {
			t.Errorf("%s: tracing %v, want Active", id, p["TracingConfig"])
		}
		if lc, _ := p["LoggingConfig"].(map[string]any); lc["LogFormat"] != "JSON" {
			t.Errorf("%s: logging %v, want JSON", id, p["LoggingConfig"])
		}
		env, _ := p["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		for k, v := range vars {
			if strings.Contains(strings.ToUpper(k), "TOKEN") && !strings.HasSuffix(k, "_SECRET_ARN") {
				t.Errorf("%s: environment variable %s=%v looks like a secret; secrets are read from Secrets Manager", id, k, v)
			}
		}
	}
}

func TestStateMachineLogsTracesAndInvokesOnlyItsFunctions(t *testing.T) {
	s := synth(t)
	tpl := s.templates["ssoflow-dev-pipeline"]
	tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), map[string]any{
		"StateMachineName":     "ssoflow-dev-provision",
		"StateMachineType":     "STANDARD",
		"TracingConfiguration": map[string]any{"Enabled": true},
		"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"Level": "ALL", "IncludeExecutionData": true}),
	})
	// The state machine's role may invoke the three task functions (resolve, scimpush, dbusers),
	// by exact ARN, and nothing else: failures reach notify from status-change events.
	for id, p := range resources(s.raw["ssoflow-dev-pipeline"], "AWS::IAM::Policy") {
		if !strings.Contains(id, "ProvisionRole") {
			continue
		}
		doc := p["PolicyDocument"].(map[string]any)
		for _, st := range doc["Statement"].([]any) {
			stmt := st.(map[string]any)
			if !strings.Contains(fmt.Sprint(stmt["Action"]), "lambda:") {
				continue
			}
			res, _ := json.Marshal(stmt["Resource"])
			if strings.Contains(string(res), `"*"`) || strings.Contains(string(res), `:*`) || strings.Count(string(res), "Fn::GetAtt") != 3 {
				t.Errorf("%s: invoke statement %s must name exactly the three task functions", id, res)
			}
		}
	}
}

func TestNotificationTopicIsEncryptedAndSubscribed(t *testing.T) {
	s := synth(t)
	tpl := s.templates["ssoflow-dev-notifications"]
	tpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]any{
		"KmsMasterKeyId": assertions.Match_AnyValue(),
	})
	tpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]any{
		"Protocol": "email", "Endpoint": "platform-team@example.com",
	})

	cfg := devConfig(t)
	cfg.NotificationEmail = nil
	cfg.Prefix = "ssoflow-quiet"
	quiet := synthWith(t, cfg)
	if subs := resources(quiet.raw["ssoflow-quiet-notifications"], "AWS::SNS::Subscription"); len(subs) != 0 {
		t.Errorf("notificationEmail null still subscribes %v", subs)
	}
}

func TestRulesStartTheStateMachine(t *testing.T) {
	s := synth(t)
	tpl := s.templates["ssoflow-dev-pipeline"]
	tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"EventPattern": map[string]any{"source": []any{"ssoflow.okta"}, "detail-type": []any{"Okta Group Membership Changed"}},
	})
	// The Identity Center rules: TestIdentityCenterRulesPassEveryEventTheParserHandles.
	tpl.HasResourceProperties(jsii.String("AWS::Lambda::Url"), map[string]any{"AuthType": "NONE"})
	// The databases' reconcile: the schedule starts the provision state machine with the
	// constant event resolve plans as a change to every mapped group.
	tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
		"ScheduleExpression": "rate(1 hour)",
		"Targets": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
			"InputTransformer": assertions.Match_ObjectLike(&map[string]any{
				"InputTemplate": assertions.Match_StringLikeRegexp(jsii.String(`^(?=.*"source":"ssoflow\.reconcile")(?=.*"detail-type":"Reconcile Databases")`)),
			}),
		})}),
	})
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, x.(string))
	}
	return out
}

// With databaseCaBundle set, the provisioner is told where the bundle lands next to its binary
// (the bundling hook copies it there; `make synth` runs that hook, this test skips bundling).
func TestDatabaseCABundleReachesTheProvisioner(t *testing.T) {
	cfg := devConfig(t)
	cfg.Prefix = "ssoflow-ca"
	cfg.DatabaseCABundle = "infra/config/testdata/test-ca-bundle.pem"
	s := synthWith(t, cfg)
	found := false
	for id, props := range resources(s.raw["ssoflow-ca-pipeline"], "AWS::Lambda::Function") {
		if !strings.Contains(id, "DbUsers") {
			continue
		}
		env, _ := props["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if vars["SSOFLOW_DB_CA_FILE"] != "/var/task/rds-ca-bundle.pem" {
			t.Errorf("%s: SSOFLOW_DB_CA_FILE = %v, want /var/task/rds-ca-bundle.pem", id, vars["SSOFLOW_DB_CA_FILE"])
		}
		found = true
	}
	if !found {
		t.Fatal("no dbusers function in the pipeline stack")
	}
}
