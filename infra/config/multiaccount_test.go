package config_test

import (
	"strings"
	"testing"
)

func remoteDB(name, account, region, vpc string) map[string]any {
	d := map[string]any{"name": name, "engine": "mysql", "instanceId": name, "endpoint": name + ".x." + region + ".rds.amazonaws.com",
		"database": name, "provisionerUser": "ssoflow_provisioner", "resourceId": "db-ABC123", "vpcId": vpc,
		"subnetIds": []any{"subnet-0a1b"}, "grants": map[string]any{"AWS_DBA": []any{"dba"}}}
	if account != "" {
		d["account"] = account
	}
	if region != "" {
		d["region"] = region
	}
	return d
}

// A database without account and region is the pipeline's, and the single-account
// configuration has no remote group.
func TestDatabasesDefaultToThePipelinePlacement(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Databases[0]; d.Region != "eu-west-1" || d.Account != "" || c.Remote(d) {
		t.Errorf("database placement %s/%s remote=%v, want the pipeline's", d.Account, d.Region, c.Remote(d))
	}
	if g := c.RemoteGroups(); len(g) != 0 || len(c.LocalDatabases()) != 1 {
		t.Errorf("remote groups %v, local %v; want none and orders", g, c.LocalDatabases())
	}
}

func TestRemoteGroupsByAccountAndRegion(t *testing.T) {
	c, err := parse(t, func(m map[string]any) {
		m["account"] = "111111111111"
		m["databases"] = append(m["databases"].([]any),
			remoteDB("ledger", "333333333333", "eu-central-1", "vpc-03"),
			remoteDB("billing", "222222222222", "", "vpc-02"),
			remoteDB("invoices", "222222222222", "eu-west-1", "vpc-02"),
			remoteDB("archive", "", "us-east-2", "vpc-04"), // the pipeline's account, another region
			remoteDB("reports", "111111111111", "eu-west-1", "vpc-0a1b"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range c.RemoteGroups() {
		var names []string
		for _, d := range g.Databases {
			names = append(names, d.Name)
		}
		got = append(got, g.Account+"/"+g.Region+":"+strings.Join(names, ","))
	}
	want := "111111111111/us-east-2:archive 222222222222/eu-west-1:billing,invoices 333333333333/eu-central-1:ledger"
	if strings.Join(got, " ") != want {
		t.Errorf("remote groups %v, want %s", got, want)
	}
	var local []string
	for _, d := range c.LocalDatabases() {
		local = append(local, d.Name)
	}
	if strings.Join(local, ",") != "orders,reports" {
		t.Errorf("local databases %v, want orders and reports", local)
	}
}

// Each misplacement fails at synth with a message naming its key.
func TestPlacementErrorsNameTheKey(t *testing.T) {
	add := func(dbs ...map[string]any) func(m map[string]any) {
		return func(m map[string]any) {
			for _, d := range dbs {
				m["databases"] = append(m["databases"].([]any), d)
			}
		}
	}
	withAccount := func(f func(m map[string]any)) func(m map[string]any) {
		return func(m map[string]any) { m["account"] = "111111111111"; f(m) }
	}
	cases := []struct {
		name, want string
		mutate     func(m map[string]any)
	}{
		{"bad account", "databases[1].account: must be a 12-digit", withAccount(add(remoteDB("ledger", "2222", "", "vpc-02")))},
		{"bad region", "databases[1].region: must be an AWS region", withAccount(add(remoteDB("ledger", "", "Frankfurt", "vpc-02")))},
		{"no pipeline account", "account: must be set (the Identity Center account", add(remoteDB("ledger", "222222222222", "", "vpc-02"))},
		{"no pipeline account, other region", "because databases[1] is in account \"\", region us-west-2", add(remoteDB("ledger", "", "us-west-2", "vpc-02"))},
		{"two VPCs in one placement", "databases[2].vpcId: is vpc-03 but databases[1], in the same account and region, is in vpc-02",
			withAccount(add(remoteDB("ledger", "222222222222", "", "vpc-02"), remoteDB("billing", "222222222222", "", "vpc-03")))},
		{"two VPCs in the pipeline's placement", "databases[1].vpcId: is vpc-09 but databases[0]", add(remoteDB("ledger", "", "", "vpc-09"))},
		{"other partition", "databases[1].region: cn-north-1 is in another AWS partition", withAccount(add(remoteDB("ledger", "222222222222", "cn-north-1", "vpc-02")))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.mutate)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// The same VPC id in two placements is two VPCs: allowed.
	if _, err := parse(t, withAccount(add(remoteDB("ledger", "222222222222", "", "vpc-0a1b")))); err != nil {
		t.Errorf("a workload account's VPC with the pipeline VPC's id is refused: %v", err)
	}
}
