package config_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/infra/config"
)

const accessBase = `{
  "region": "eu-west-1",
  "notificationEmail": null,
  "okta": {"orgUrl": "https://acme.okta.com"},
  "identityCenter": {"identityStoreId": "d-93670a1b2c", "scimEndpoint": "https://scim.eu-west-1.amazonaws.com/abc/scim/v2/",
    "instanceArn": "arn:aws:sso:::instance/ssoins-72230e1d5c4e9a1b"},
  "access": {
    "groups": {"AWS_Developers": "9067c8a1e2-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"},
    "permissionSets": [
      {"name": "ReadOnly", "sessionDuration": "PT4H", "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
      {"name": "Dev", "sessionDuration": "PT1H30M", "inlinePolicyFile": "POLICY"}
    ],
    "assignments": [{"group": "AWS_Developers", "permissionSet": "Dev", "accounts": ["111122223333"]}]
  }
}`

const goodPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Connect", "Effect": "Allow", "Action": "rds-db:connect", "Resource": "arn:aws:rds-db:*:*:dbuser:*/${aws:PrincipalTag/name}"},
    {"Effect": "Deny", "NotAction": ["rds:Describe*"], "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
  ]
}`

const goodMetadata = `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>
</md:EntityDescriptor>`

// parseAccess parses accessBase with the Dev permission set's inline policy file holding policy
// (an absolute path in a temporary directory), after mutate changed the access block (acc) or
// the whole configuration (m).
func parseAccess(t *testing.T, policy string, mutate func(acc, m map[string]any)) (*config.Config, error) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "Dev.json")
	if err := os.WriteFile(file, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.Replace(accessBase, "POLICY", filepath.ToSlash(file), 1)), &m); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(m["access"].(map[string]any), m)
	}
	return config.Parse("test", m)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAccessValidReadsTheInlinePolicy(t *testing.T) {
	c, err := parseAccess(t, goodPolicy, nil)
	if err != nil {
		t.Fatal(err)
	}
	dev := c.Access.PermissionSet("Dev")
	if dev == nil || !strings.HasPrefix(dev.InlinePolicy, `{"Version":"2012-10-17","Statement":[{"Sid":"Connect"`) ||
		!strings.Contains(dev.InlinePolicy, `dbuser:*/${aws:PrincipalTag/name}`) {
		t.Fatalf("inline policy not read and compacted: %+v", dev)
	}
	got := c.Access.AssignmentTargets()
	if len(got) != 1 || got[0] != [3]string{"AWS_Developers", "Dev", "111122223333"} {
		t.Errorf("assignment targets = %v", got)
	}
}

// The shipped cdk.json's access block is valid, and its relative policy path resolves from the
// directory holding cdk.json although the test runs in infra/config.
func TestShippedAccessBlockIsValid(t *testing.T) {
	raw, err := os.ReadFile("../../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("dev", []byte(f.Context["dev"]))
	if err != nil {
		t.Fatal(err)
	}
	if c.Access == nil || c.Access.PermissionSet("DatabaseDeveloper") == nil ||
		!strings.Contains(c.Access.PermissionSet("DatabaseDeveloper").InlinePolicy, `"rds-db:connect"`) {
		t.Fatalf("dev access block lacks the DatabaseDeveloper inline policy: %+v", c.Access)
	}
}

// Each bad entry fails synth with a message naming the entry and what is wrong.
func TestAccessInvalidEntriesNameTheEntry(t *testing.T) {
	ps := func(acc map[string]any, i int) map[string]any {
		return acc["permissionSets"].([]any)[i].(map[string]any)
	}
	as0 := func(acc map[string]any) map[string]any { return acc["assignments"].([]any)[0].(map[string]any) }
	policy := func(statement string) string {
		return `{"Version": "2012-10-17", "Statement": [` + statement + `]}`
	}
	cases := []struct {
		name, policy, want string
		mutate             func(acc, m map[string]any)
	}{
		{"unknown group", goodPolicy, `access.assignments[0].group: "AWS_Ops" is not in access.groups (known: AWS_Developers)`,
			func(acc, _ map[string]any) { as0(acc)["group"] = "AWS_Ops" }},
		{"short account", goodPolicy, `access.assignments[0].accounts: "11112222333" is not a 12-digit AWS account id`,
			func(acc, _ map[string]any) { as0(acc)["accounts"] = []any{"11112222333"} }},
		{"account with letters", goodPolicy, `access.assignments[0].accounts: "dev-account" is not a 12-digit`,
			func(acc, _ map[string]any) { as0(acc)["accounts"] = []any{"dev-account"} }},
		{"no accounts", goodPolicy, `access.assignments[0].accounts: must list at least one`,
			func(acc, _ map[string]any) { as0(acc)["accounts"] = []any{} }},
		{"duplicate assignment", goodPolicy, `access.assignments[0]: assigns Dev to AWS_Developers in 111122223333 a second time`,
			func(acc, _ map[string]any) { as0(acc)["accounts"] = []any{"111122223333", "111122223333"} }},
		{"undefined permission set", goodPolicy, `access.assignments[0].permissionSet: "Admin" is not defined in access.permissionSets`,
			func(acc, _ map[string]any) { as0(acc)["permissionSet"] = "Admin" }},
		{"bad group id", goodPolicy, `access.groups.AWS_Developers: must be the Identity Center group id`,
			func(acc, _ map[string]any) { acc["groups"] = map[string]any{"AWS_Developers": "AWS_Developers"} }},
		{"missing policy file", goodPolicy, `access.permissionSets[1] (Dev).inlinePolicyFile: cannot read policies/permission-sets/Nope.json`,
			func(acc, _ map[string]any) { ps(acc, 1)["inlinePolicyFile"] = "policies/permission-sets/Nope.json" }},
		{"not JSON", `Version: 2012-10-17`, `Dev.json is not a valid IAM policy: not a JSON object`, nil},
		{"old version", `{"Version": "2008-10-17", "Statement": []}`, `is not a valid IAM policy: Version must be "2012-10-17", got "2008-10-17"`, nil},
		{"no version", `{"Statement": []}`, `Version must be "2012-10-17", got nothing (missing)`, nil},
		{"statement object", `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}}`,
			`Statement must be a non-empty list of statement objects`, nil},
		{"empty statements", `{"Version": "2012-10-17", "Statement": []}`, `Statement must be a non-empty list`, nil},
		{"lower-case effect", policy(`{"Effect": "allow", "Action": "s3:ListBucket", "Resource": "*"}`),
			`Statement[0]: Effect must be "Allow" or "Deny", got "allow"`, nil},
		{"no effect", policy(`{"Action": "s3:ListBucket", "Resource": "*"}`), `Statement[0]: Effect must be "Allow" or "Deny", got nothing (missing)`, nil},
		{"no action", policy(`{"Effect": "Allow", "Resource": "*"}`), `Statement[0]: must have exactly one of Action and NotAction`, nil},
		{"action and notaction", policy(`{"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}`),
			`Statement[0]: must have exactly one of Action and NotAction`, nil},
		{"malformed action", policy(`{"Effect": "Allow", "Action": ["s3 ListBucket"], "Resource": "*"}`),
			`Statement[0]: Action: "s3 ListBucket" is not service:Action`, nil},
		{"no resource", policy(`{"Effect": "Allow", "Action": "s3:ListBucket"}`), `Statement[0]: must have exactly one of Resource and NotResource`, nil},
		{"principal", policy(`{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "*"}`),
			`Statement[0]: Principal is for resource-based policies`, nil},
		{"second statement", policy(`{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}, {"Effect": "Permit", "Action": "s3:ListBucket", "Resource": "*"}`),
			`Statement[1]: Effect must be`, nil},
		{"unknown key", policy(`{"Effect": "Allow", "Actions": "s3:ListBucket", "Resource": "*"}`), `Statement[0]: unknown key "Actions"`, nil},
		{"no instance", goodPolicy, `access.permissionSets: need identityCenter.instanceArn`,
			func(_, m map[string]any) { delete(m["identityCenter"].(map[string]any), "instanceArn") }},
		{"no permission sets", goodPolicy, `access.permissionSets: must define at least one permission set`,
			func(acc, _ map[string]any) { acc["permissionSets"] = []any{}; acc["assignments"] = []any{} }},
		{"duplicate name", goodPolicy, `access.permissionSets[1] (ReadOnly).name: "ReadOnly" is defined twice`,
			func(acc, _ map[string]any) { ps(acc, 1)["name"] = "ReadOnly" }},
		{"bad name", goodPolicy, `access.permissionSets[1] (Database Dev).name: must be 1-32 letters`,
			func(acc, _ map[string]any) { ps(acc, 1)["name"] = "Database Dev" }},
		{"duration format", goodPolicy, `access.permissionSets[0] (ReadOnly).sessionDuration: must be an ISO 8601 duration such as PT8H`,
			func(acc, _ map[string]any) { ps(acc, 0)["sessionDuration"] = "8h" }},
		{"duration range", goodPolicy, `access.permissionSets[0] (ReadOnly).sessionDuration: must be between PT1H and PT12H, got "PT13H"`,
			func(acc, _ map[string]any) { ps(acc, 0)["sessionDuration"] = "PT13H" }},
		{"managed arn", goodPolicy, `access.permissionSets[0] (ReadOnly).managedPolicyArns: "ReadOnlyAccess" is not an AWS managed policy ARN`,
			func(acc, _ map[string]any) { ps(acc, 0)["managedPolicyArns"] = []any{"ReadOnlyAccess"} }},
		{"grants nothing", goodPolicy, `access.permissionSets[0] (ReadOnly).inlinePolicyFile: is empty and managedPolicyArns too`,
			func(acc, _ map[string]any) { delete(ps(acc, 0), "managedPolicyArns") }},
		{"unknown field", goodPolicy, `unknown field "permissionSet"`,
			func(acc, _ map[string]any) { acc["permissionSet"] = []any{} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAccess(t, tc.policy, tc.mutate)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSAMLValidation(t *testing.T) {
	metadata := writeFile(t, "idp.xml", goodMetadata)
	samlWith := func(mutate func(s map[string]any)) func(acc, _ map[string]any) {
		return func(acc, _ map[string]any) {
			s := map[string]any{"metadataFile": metadata, "roles": []any{map[string]any{"group": "Okta-Developers", "permissionSet": "Dev"}}}
			if mutate != nil {
				mutate(s)
			}
			acc["saml"] = s
		}
	}
	c, err := parseAccess(t, goodPolicy, samlWith(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Access.SAML; s.Metadata != goodMetadata || s.Roles[0].RoleName != "Okta-Developers" || !s.WantsRoleListingUser() {
		t.Errorf("saml not read or defaulted: %+v", s)
	}
	role0 := func(s map[string]any) map[string]any { return s["roles"].([]any)[0].(map[string]any) }
	cases := []struct {
		name, want string
		mutate     func(s map[string]any)
	}{
		{"missing metadata", `access.saml.metadataFile: cannot read /nonexistent/idp.xml`, func(s map[string]any) { s["metadataFile"] = "/nonexistent/idp.xml" }},
		{"not xml", `not XML`, func(s map[string]any) { s["metadataFile"] = writeFile(t, "bad.xml", "not < xml") }},
		{"not metadata", `want a SAML 2.0 metadata EntityDescriptor`, func(s map[string]any) { s["metadataFile"] = writeFile(t, "html.xml", "<html><body/></html>") }},
		{"sp metadata", `has no IDPSSODescriptor`, func(s map[string]any) {
			s["metadataFile"] = writeFile(t, "sp.xml", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor/></EntityDescriptor>`)
		}},
		{"unknown permission set", `access.saml.roles[0].permissionSet: "Admin" is not defined`, func(s map[string]any) { role0(s)["permissionSet"] = "Admin" }},
		{"bad role name", `access.saml.roles[0].roleName: "Okta Developers" is not a valid IAM role name`, func(s map[string]any) { role0(s)["group"] = "Okta Developers" }},
		{"no roles", `access.saml.roles: must map at least one IdP group`, func(s map[string]any) { s["roles"] = []any{} }},
		{"account", `access.saml.account: must be a 12-digit AWS account id`, func(s map[string]any) { s["account"] = "legacy" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAccess(t, goodPolicy, samlWith(tc.mutate))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
