package stacks_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// alarmOn finds the one alarm on namespace/metric with exactly these dimensions (rendered).
func alarmOn(t *testing.T, tpl map[string]any, namespace, metric string, dims map[string]string) (string, map[string]any) {
	t.Helper()
	var ids []string
	var found map[string]any
	for id, props := range resources(tpl, "AWS::CloudWatch::Alarm") {
		if props["Namespace"] != namespace || props["MetricName"] != metric {
			continue
		}
		got := map[string]string{}
		for _, d := range props["Dimensions"].([]any) {
			dm := d.(map[string]any)
			got[dm["Name"].(string)] = render(dm["Value"])
		}
		if reflect.DeepEqual(got, dims) {
			ids = append(ids, id)
			found = props
		}
	}
	if len(ids) != 1 {
		t.Errorf("%d alarms on %s %s %v, want 1", len(ids), namespace, metric, dims)
		return "", nil
	}
	return ids[0], found
}

// Alarms: each state machine's failed, timed-out and aborted executions, the hook function's
// errors and throttles, and undelivered failure notices; ≥ 1 in 5 minutes, missing data is not
// breaching, each publishes to the notifications topic, and each name starts with the prefix the
// topic admits.
func TestAlarmsReachTheTopic(t *testing.T) {
	s := synth(t)
	tpl := s.raw[pipelineStack]
	topic := "${Import:" + exportOf(t, s.raw[notificationsStack], onlyID(t, resources(s.raw[notificationsStack], "AWS::SNS::Topic"), "topics")) + "}"
	check := func(id string, props map[string]any, statistic string) {
		t.Helper()
		if props == nil {
			return
		}
		want := map[string]any{"Statistic": statistic, "Period": float64(300), "Threshold": float64(1), "EvaluationPeriods": float64(1),
			"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"}
		for k, v := range want {
			if props[k] != v {
				t.Errorf("%s: %s = %v, want %v", id, k, props[k], v)
			}
		}
		if got := renderAll(props["AlarmActions"]); !slices.Equal(got, []string{topic}) {
			t.Errorf("%s: actions %v, want the notifications topic %s", id, got, topic)
		}
		if name, _ := props["AlarmName"].(string); !strings.HasPrefix(name, "ssoflow-dev-") {
			t.Errorf("%s: name %q does not start with ssoflow-dev-, so the topic refuses it", id, name)
		}
	}
	for name, sm := range stateMachinesByName(tpl) {
		for _, metric := range []string{"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"} {
			id, props := alarmOn(t, tpl, "AWS/States", metric, map[string]string{"StateMachineArn": "${Ref:" + sm + "}"})
			check(id+" ("+name+")", props, "Sum")
		}
	}
	hook := functionsByCommand(t, tpl)["oktahook"]
	for _, metric := range []string{"Errors", "Throttles"} {
		id, props := alarmOn(t, tpl, "AWS/Lambda", metric, map[string]string{"FunctionName": "${Ref:" + hook + "}"})
		check(id, props, "Sum")
	}
	id, props := alarmOn(t, tpl, "AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": "${" + undeliveredQueue(t, tpl) + ".QueueName}"})
	check(id, props, "Maximum")
	if n := len(resources(tpl, "AWS::CloudWatch::Alarm")); n != 3*3+2+1 {
		t.Errorf("%d alarms, want 12 (3 per state machine, 2 on the hook, 1 on undelivered notices)", n)
	}
}

// CloudWatch may publish the deployment's alarms to the topic (its access policy) and use the
// topic's key (the key policy).
func TestTopicAdmitsTheDeploymentsAlarms(t *testing.T) {
	tpl := synth(t).raw[notificationsStack]
	topic := onlyID(t, resources(tpl, "AWS::SNS::Topic"), "topics")
	admitted := false
	for _, props := range resources(tpl, "AWS::SNS::TopicPolicy") {
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			stmt := st.(map[string]any)
			if jsonOf(stmt["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` {
				continue
			}
			cond, _ := stmt["Condition"].(map[string]any)["ArnLike"].(map[string]any)
			if stmt["Effect"] == "Allow" && stmt["Action"] == "sns:Publish" && render(stmt["Resource"]) == "${Ref:"+topic+"}" &&
				render(cond["aws:SourceArn"]) == arnIn("cloudwatch", "alarm:ssoflow-dev-*") {
				admitted = true
			} else {
				t.Errorf("topic policy statement for CloudWatch %s, want sns:Publish on the topic for alarms ssoflow-dev-* only", jsonOf(stmt))
			}
		}
	}
	if !admitted {
		t.Error("the topic's policy does not let CloudWatch publish the deployment's alarms")
	}
	key := onlyID(t, resources(tpl, "AWS::KMS::Key"), "keys")
	usable := false
	for _, st := range resources(tpl, "AWS::KMS::Key")[key]["KeyPolicy"].(map[string]any)["Statement"].([]any) {
		stmt := st.(map[string]any)
		if jsonOf(stmt["Principal"]) == `{"Service":"cloudwatch.amazonaws.com"}` && stmt["Effect"] == "Allow" &&
			slices.Equal(renderAll(stmt["Action"]), []string{"kms:Decrypt", "kms:GenerateDataKey*"}) {
			usable = true
		}
	}
	if !usable {
		t.Error("the topic's key policy does not let CloudWatch use the key (kms:Decrypt, kms:GenerateDataKey*)")
	}
}

// dashboardMetrics reads the dashboard body: widget titles and each metric as
// "namespace metric dim=value ...".
func dashboardMetrics(t *testing.T, tpl map[string]any) (titles, metrics []string) {
	t.Helper()
	boards := resources(tpl, "AWS::CloudWatch::Dashboard")
	id := onlyID(t, boards, "dashboards")
	if boards[id]["DashboardName"] != "ssoflow-dev" {
		t.Errorf("dashboard name %v, want ssoflow-dev", boards[id]["DashboardName"])
	}
	body := mustJSON(t, render(boards[id]["DashboardBody"])).(map[string]any)
	for _, w := range body["widgets"].([]any) {
		props := w.(map[string]any)["properties"].(map[string]any)
		titles = append(titles, fmt.Sprint(props["title"]))
		for _, m := range props["metrics"].([]any) {
			var strs []string
			for _, x := range m.([]any) {
				if s, ok := x.(string); ok {
					strs = append(strs, s)
				}
			}
			if len(strs) < 2 {
				t.Fatalf("widget %v: metric %s has no namespace and name", props["title"], jsonOf(m))
			}
			line := strs[0] + " " + strs[1]
			for i := 2; i+1 < len(strs); i += 2 {
				line += " " + strs[i] + "=" + strs[i+1]
			}
			metrics = append(metrics, line)
		}
	}
	return titles, metrics
}

// The dashboard shows each state machine's started, succeeded and failed executions, each
// function's errors and durations, the hook's answers and the throttling counts.
func TestDashboardShowsEveryStateMachineAndFunction(t *testing.T) {
	tpl := synth(t).raw[pipelineStack]
	titles, metrics := dashboardMetrics(t, tpl)
	want := func(metric, what string) {
		t.Helper()
		if !slices.Contains(metrics, metric) {
			t.Errorf("the dashboard does not show %s (%s)", what, metric)
		}
	}
	for name, sm := range stateMachinesByName(tpl) {
		for _, m := range []string{"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed"} {
			want("AWS/States "+m+" StateMachineArn=${Ref:"+sm+"}", name)
		}
		if !slices.ContainsFunc(titles, func(s string) bool { return strings.Contains(s, name) }) {
			t.Errorf("no widget title names %s (titles %q)", name, titles)
		}
	}
	fns := functionsByCommand(t, tpl)
	for _, cmd := range []string{"resolve", "scimpush", "notify", "dbusers", "oktahook", "reconcile", "grant"} {
		id, ok := fns[cmd]
		if !ok {
			t.Errorf("no %s function in the pipeline stack", cmd)
			continue
		}
		want("AWS/Lambda Errors FunctionName=${Ref:"+id+"}", cmd)
		want("AWS/Lambda Duration FunctionName=${Ref:"+id+"}", cmd)
		if !slices.ContainsFunc(titles, func(s string) bool { return strings.HasPrefix(s, cmd+":") }) {
			t.Errorf("no widget title names %s (titles %q)", cmd, titles)
		}
	}
	if len(fns) != 7 {
		t.Errorf("functions %v: a function was added; add it to this test's list", fns)
	}
	for _, m := range []string{"OktaHookAnswered401", "OktaHookAnswered4xx", "OktaHookAnswered5xx", "OktaThrottled", "IdentityCenterThrottled"} {
		want("ssoflow/ssoflow-dev "+m, m)
	}
}

// filtersOn is pattern → metric name of the metric filters on a log group.
func filtersOn(tpl map[string]any, logGroup string) map[string]string {
	out := map[string]string{}
	for _, props := range resources(tpl, "AWS::Logs::MetricFilter") {
		if render(props["LogGroupName"]) != "${Ref:"+logGroup+"}" {
			continue
		}
		for _, mt := range props["MetricTransformations"].([]any) {
			m := mt.(map[string]any)
			if m["MetricNamespace"] == "ssoflow/ssoflow-dev" && m["MetricValue"] == "1" {
				out[props["FilterPattern"].(string)] = m["MetricName"].(string)
			}
		}
	}
	return out
}

// The metric filters count exactly the log lines named in logmetrics.go: throttling on every
// function's log group, the hook's answers on the hook's.
func TestLogMetricFiltersCountTheNamedLines(t *testing.T) {
	tpl := synth(t).raw[pipelineStack]
	throttling := map[string]string{
		`{ $.msg = "okta retry" && $.status = 429 }`:                                                           "OktaThrottled",
		`{ ($.msg = "scim: retrying" || $.msg = "scim: not retrying, wait beyond budget") && $.status = 429 }`: "IdentityCenterThrottled",
		`{ $.msg = "identity center throttled" }`:                                                              "IdentityCenterThrottled",
	}
	answers := map[string]string{
		`{ $.msg = "okta hook answered" && $.status = 401 }`:                     "OktaHookAnswered401",
		`{ $.msg = "okta hook answered" && $.status >= 400 && $.status <= 499 }`: "OktaHookAnswered4xx",
		`{ $.msg = "okta hook answered" && $.status >= 500 }`:                    "OktaHookAnswered5xx",
	}
	fns := resources(tpl, "AWS::Lambda::Function")
	for cmd, id := range functionsByCommand(t, tpl) {
		logs, _ := fns[id]["LoggingConfig"].(map[string]any)
		group := strings.TrimSuffix(strings.TrimPrefix(render(logs["LogGroup"]), "${Ref:"), "}")
		want := map[string]string{}
		for k, v := range throttling {
			want[k] = v
		}
		if cmd == "oktahook" {
			for k, v := range answers {
				want[k] = v
			}
		}
		if got := filtersOn(tpl, group); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: metric filters on %s\n  %v\nwant\n  %v", cmd, group, got, want)
		}
	}
}

// The filters that count lines the functions already log name those lines exactly as the
// functions write them (a renamed message would silently zero the metric).
func TestLogMetricFiltersMatchTheFunctionsMessages(t *testing.T) {
	logged := map[string]string{ // message → package that logs it
		"okta retry":                             "okta",
		"scim: retrying":                         "scim",
		"scim: not retrying, wait beyond budget": "scim",
	}
	for msg, pkg := range logged {
		files, err := filepath.Glob(filepath.Join(repoRoot, "functions", "internal", pkg, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no source in functions/internal/%s (%v)", pkg, err)
		}
		found := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			logs := regexp.MustCompile(`"` + regexp.QuoteMeta(msg) + `",\s`)
			if !strings.HasSuffix(f, "_test.go") && logs.Match(b) && strings.Contains(string(b), `"status", `) {
				found = true
			}
		}
		if !found {
			t.Errorf("functions/internal/%s no longer logs %q with a status: the metric filter counting it would stay at zero", pkg, msg)
		}
	}
}
