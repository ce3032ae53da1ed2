package config

import (
	"fmt"
	"sort"
	"strings"
)

// Placement is where a database's provisioner runs: an AWS account and region.
type Placement struct {
	Account string
	Region  string
}

// DatabaseGroup is the databases of one (account, region) other than the pipeline's: one
// database-access stack, one provisioner function, one VPC.
type DatabaseGroup struct {
	Placement
	Databases []Database
}

// Pipeline is the pipeline's own placement: the Identity Center account and home region.
func (c *Config) Pipeline() Placement { return Placement{Account: c.Account, Region: c.Region} }

// Remote says whether the database lives outside the pipeline's (account, region), so that
// its provisioner is deployed by a database-access stack of its own.
func (c *Config) Remote(d Database) bool {
	return d.Account != c.Account || d.Region != c.Region
}

// LocalDatabases are the databases in the pipeline's own (account, region), provisioned by the
// pipeline stack's dbusers function as in a single-account deployment.
func (c *Config) LocalDatabases() []Database {
	var out []Database
	for _, d := range c.Databases {
		if !c.Remote(d) {
			out = append(out, d)
		}
	}
	return out
}

// RemoteGroups are the databases outside the pipeline's (account, region), grouped by
// placement and sorted by account, then region, so stack order and names are stable.
func (c *Config) RemoteGroups() []DatabaseGroup {
	byPlace := map[Placement][]Database{}
	for _, d := range c.Databases {
		if c.Remote(d) {
			p := Placement{Account: d.Account, Region: d.Region}
			byPlace[p] = append(byPlace[p], d)
		}
	}
	out := make([]DatabaseGroup, 0, len(byPlace))
	for p, dbs := range byPlace {
		out = append(out, DatabaseGroup{Placement: p, Databases: dbs})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Region < out[j].Region
	})
	return out
}

// validatePlacement checks each database's account and region (defaults already applied: empty
// means the pipeline's), requires the top-level account when any database is elsewhere (the
// far side trusts the pipeline's state machine role by ARN, which needs the account), and
// allows one VPC per (account, region): one provisioner per placement, in one VPC.
func (c *Config) validatePlacement() []string {
	var p []string
	firstVpc := map[Placement]int{}
	for i, d := range c.Databases {
		key := fmt.Sprintf("databases[%d]", i)
		if d.Account != "" && !reAccount.MatchString(d.Account) {
			p = append(p, fmt.Sprintf("%s.account: must be a 12-digit AWS account id (empty: the pipeline's account), got %q", key, d.Account))
		}
		if !reRegion.MatchString(d.Region) {
			p = append(p, fmt.Sprintf("%s.region: must be an AWS region such as eu-west-1 (empty: the pipeline's region), got %q", key, d.Region))
		}
		if c.Remote(d) && c.Account == "" {
			p = append(p, fmt.Sprintf("account: must be set (the Identity Center account that runs the pipeline) because %s is in account %q, region %s: "+
				"the database's account trusts the pipeline's state machine role by its ARN", key, d.Account, d.Region))
		}
		if c.Remote(d) && Partition(d.Region) != Partition(c.Region) {
			p = append(p, fmt.Sprintf("%s.region: %s is in another AWS partition than the pipeline's region %s; roles cannot be assumed across partitions", key, d.Region, c.Region))
		}
		place := Placement{Account: d.Account, Region: d.Region}
		if j, ok := firstVpc[place]; !ok {
			firstVpc[place] = i
		} else if d.VpcID != c.Databases[j].VpcID {
			p = append(p, fmt.Sprintf("%s.vpcId: is %s but databases[%d], in the same account and region, is in %s: "+
				"each account and region has one provisioner in one VPC (deploy one environment per VPC)", key, d.VpcID, j, c.Databases[j].VpcID))
		}
	}
	return p
}

// Partition is the AWS partition of region: aws, aws-cn or aws-us-gov.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
