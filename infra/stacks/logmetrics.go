package stacks

// Metrics read from the functions' logs. Every function logs one JSON object per line with
// log/slog (functions/internal/logging): "time", "level", "msg" and the record's attributes at
// the top level. With the function's log format set to JSON, Lambda keeps a line that is
// already JSON as it is ("Configuring JSON and plain text log formats" —
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html), so the
// filters address the fields directly ("Using filter patterns to match terms in JSON log
// events" — https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html).
//
// Each pattern names the exact log line it counts. Where no function logs the line yet, the
// comment says ASSUMED: the function must log exactly that for the metric to count anything.

// logMetric is one metric counted from log lines.
type logMetric struct {
	// Name is the CloudWatch metric name (in the deployment's namespace, see metricNamespace).
	Name string
	// Patterns are CloudWatch Logs filter patterns; each becomes a metric filter adding 1 to the
	// metric per matching line.
	Patterns []string
}

// Okta answered 429. functions/internal/okta logs {"msg":"okta retry","status":429,...} (info)
// before retrying a throttled call; the last attempt of a call is not logged as a retry.
var oktaThrottled = logMetric{Name: "OktaThrottled", Patterns: []string{
	`{ $.msg = "okta retry" && $.status = 429 }`,
}}

// Identity Center throttled a call.
//   - SCIM: functions/internal/scim logs {"msg":"scim: retrying","status":429,...} (debug, so
//     counted only at logLevel debug) and {"msg":"scim: not retrying, wait beyond budget",
//     "status":429,...} (warn).
//   - Identity store and sso-admin APIs (AWS SDK): ASSUMED {"msg":"identity center throttled",
//     "api":"identitystore"|"sso-admin","op":"<operation>"} for each ThrottlingException; no
//     function logs it yet.
var identityCenterThrottled = logMetric{Name: "IdentityCenterThrottled", Patterns: []string{
	`{ ($.msg = "scim: retrying" || $.msg = "scim: not retrying, wait beyond budget") && $.status = 429 }`,
	`{ $.msg = "identity center throttled" }`,
}}

// The Okta event hook's answers. ASSUMED: the oktahook function logs one line per answer,
// {"msg":"okta hook answered","status":<HTTP status as a number>}; today it logs some answers
// under other messages and none with a status for 401 (functions/internal/oktahook/handler.go).
const hookAnswered = `$.msg = "okta hook answered"`

var (
	hookAnswered401 = logMetric{Name: "OktaHookAnswered401", Patterns: []string{
		`{ ` + hookAnswered + ` && $.status = 401 }`,
	}}
	// 4xx counts every client error, 401 included.
	hookAnswered4xx = logMetric{Name: "OktaHookAnswered4xx", Patterns: []string{
		`{ ` + hookAnswered + ` && $.status >= 400 && $.status <= 499 }`,
	}}
	hookAnswered5xx = logMetric{Name: "OktaHookAnswered5xx", Patterns: []string{
		`{ ` + hookAnswered + ` && $.status >= 500 }`,
	}}
)

// metricNamespace keeps one deployment's log metrics apart from another's in the same account.
func metricNamespace(prefix string) string { return "ssoflow/" + prefix }
