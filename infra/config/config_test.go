package config_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/infra/config"
)

const valid = `{
  "region": "eu-west-1",
  "notificationEmail": null,
  "okta": {"orgUrl": "https://acme.okta.com"},
  "identityCenter": {"identityStoreId": "d-93670a1b2c", "scimEndpoint": "https://scim.eu-west-1.amazonaws.com/abc/scim/v2/"},
  "databases": [{"name": "orders", "engine": "postgres", "instanceId": "orders", "endpoint": "orders.x.eu-west-1.rds.amazonaws.com",
    "database": "orders", "provisionerUser": "ssoflow_provisioner", "resourceId": "db-ABC123", "vpcId": "vpc-0a1b",
    "subnetIds": ["subnet-0a1b"], "grants": {"AWS_DBA": ["rds_superuser"]}}]
}`

func parse(t *testing.T, mutate func(m map[string]any)) (*config.Config, error) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(valid), &m); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(m)
	}
	return config.Parse("test", m)
}

func TestDefaults(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Prefix != "ssoflow-test" || c.Okta.GroupPrefix != "AWS_" || c.LogRetentionDays != 90 ||
		c.ReconcileSchedule != "rate(1 hour)" || !c.HookEnabled() || c.Databases[0].Port != 5432 || c.DBUserNameRule != "email-local-lower" {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestMissingBlockNamesTheEnvironment(t *testing.T) {
	_, err := config.Parse("prod", nil)
	if err == nil || !strings.Contains(err.Error(), `"prod"`) {
		t.Errorf("err = %v, want it to name the missing prod block", err)
	}
}

// Each bad entry fails with a message naming its key and what it expects.
func TestInvalidEntriesNameTheKey(t *testing.T) {
	db := func(m map[string]any) map[string]any { return m["databases"].([]any)[0].(map[string]any) }
	cases := []struct {
		name, want string
		mutate     func(m map[string]any)
	}{
		{"region", "region: must be an AWS region", func(m map[string]any) { m["region"] = "Europe" }},
		{"account", "account: must be a 12-digit", func(m map[string]any) { m["account"] = "1234" }},
		{"email", "notificationEmail: must be an email", func(m map[string]any) { m["notificationEmail"] = "nobody" }},
		{"retention", "logRetentionDays: must be one of", func(m map[string]any) { m["logRetentionDays"] = 42 }},
		{"schedule", "reconcileSchedule: must be an EventBridge schedule", func(m map[string]any) { m["reconcileSchedule"] = "hourly" }},
		{"remove share", "reconcileMaxRemoveShare: must be a share in (0, 1]", func(m map[string]any) { m["reconcileMaxRemoveShare"] = 1.5 }},
		{"okta url", "okta.orgUrl: must be your Okta org's https URL", func(m map[string]any) { m["okta"].(map[string]any)["orgUrl"] = "http://acme.okta.com" }},
		{"mapping key", "okta.groupMappings: key \"Admins\" must be an Okta group id", func(m map[string]any) {
			m["okta"].(map[string]any)["groupMappings"] = map[string]any{"Admins": "a4b8c1d2-e3f4-7081-92a3-b4c5d6e7f801"}
		}},
		{"mapping value", "okta.groupMappings: value for 00g1a2b3c4d5e6f7g8h9 must be an Identity Center group id", func(m map[string]any) {
			m["okta"].(map[string]any)["groupMappings"] = map[string]any{"00g1a2b3c4d5e6f7g8h9": "AWS_Admins"}
		}},
		{"no source", "okta.hook: is false and okta.logStreamEventBusName is empty", func(m map[string]any) { m["okta"].(map[string]any)["hook"] = false }},
		{"partner bus", "okta.logStreamEventBusName: must be Okta's partner event bus", func(m map[string]any) {
			m["okta"].(map[string]any)["logStreamEventBusName"] = "default"
		}},
		{"store id", "identityCenter.identityStoreId: must be the identity store id", func(m map[string]any) {
			m["identityCenter"].(map[string]any)["identityStoreId"] = "93670a1b2c"
		}},
		{"scim", "identityCenter.scimEndpoint: must be the SCIM endpoint", func(m map[string]any) {
			m["identityCenter"].(map[string]any)["scimEndpoint"] = "https://example.com/scim"
		}},
		{"unknown key", "unknown field \"regoin\"", func(m map[string]any) { m["regoin"] = "x" }},
		{"name rule", "dbUserNameRule: must be one of username, username-lower", func(m map[string]any) { m["dbUserNameRule"] = "first-name" }},
		{"engine", "databases[0].engine: must be mysql", func(m map[string]any) { db(m)["engine"] = "oracle" }},
		{"both ids", "databases[0].instanceId: set exactly one of instanceId and clusterId", func(m map[string]any) { db(m)["clusterId"] = "c" }},
		{"endpoint", "databases[0].endpoint: must be the database's host name", func(m map[string]any) { db(m)["endpoint"] = "orders:5432" }},
		{"resource id", "databases[0].resourceId: must be the instance's DbiResourceId", func(m map[string]any) { db(m)["resourceId"] = "orders" }},
		{"subnets", "databases[0].subnetIds: must list", func(m map[string]any) { db(m)["subnetIds"] = []any{} }},
		{"role", "databases[0].grants: role \"x; DROP\" of group \"AWS_DBA\" must be a plain role name", func(m map[string]any) {
			db(m)["grants"] = map[string]any{"AWS_DBA": []any{"x; DROP"}}
		}},
		{"bundle path", "databaseCaBundle: must be a relative path", func(m map[string]any) { m["databaseCaBundle"] = "certs/$(id).pem" }},
		{"bundle missing", "databaseCaBundle: cannot be read", func(m map[string]any) { m["databaseCaBundle"] = "testdata/absent.pem" }},
		{"bundle not pem", "databaseCaBundle: testdata/not-a-bundle.txt holds no PEM certificate", func(m map[string]any) { m["databaseCaBundle"] = "testdata/not-a-bundle.txt" }},
		{"duplicate db", "databases[1].name: \"orders\" is used twice", func(m map[string]any) {
			m["databases"] = append(m["databases"].([]any), db(m))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.mutate)
			if err == nil {
				t.Fatalf("accepted; want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestDatabaseCABundleAccepted(t *testing.T) {
	c, err := parse(t, func(m map[string]any) { m["databaseCaBundle"] = "testdata/test-ca-bundle.pem" })
	if err != nil || c.DatabaseCABundle != "testdata/test-ca-bundle.pem" {
		t.Fatalf("config %+v, err %v", c, err)
	}
}
