package resolve_test

import (
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/resolve"
)

func TestParseTargets(t *testing.T) {
	dbs := []resolve.Database{{Name: "orders"}, {Name: "ledger"}}
	ok := `{"ledger":{"functionArn":"arn:aws:lambda:eu-west-1:222222222222:function:ssoflow-dev-dbusers-eu-west-1","roleArn":"arn:aws:iam::222222222222:role/ssoflow-dev-dbusers-invoke-eu-west-1"}}`
	got, err := resolve.ParseTargets(ok, dbs)
	if err != nil || len(got) != 1 || got["ledger"].RoleArn != "arn:aws:iam::222222222222:role/ssoflow-dev-dbusers-invoke-eu-west-1" {
		t.Fatalf("ParseTargets = %v, %v", got, err)
	}
	if got, err := resolve.ParseTargets("", dbs); err != nil || got != nil {
		t.Errorf("empty targets = %v, %v; want none (single account)", got, err)
	}
	for _, tc := range []struct{ raw, want string }{
		{`[]`, "not a JSON object"},
		{strings.Replace(ok, "ledger", "billing", 1), `"billing" is not a configured database`},
		{strings.Replace(ok, "function:", "layer:", 1), "is not a Lambda function ARN"},
		{strings.Replace(ok, "role/", "user/", 1), "is not an IAM role ARN"},
		{strings.Replace(ok, "iam::222222222222", "iam::333333333333", 1), "is not in the function's account 222222222222"},
	} {
		if _, err := resolve.ParseTargets(tc.raw, dbs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTargets(%s) = %v, want %q", tc.raw, err, tc.want)
		}
	}
}
