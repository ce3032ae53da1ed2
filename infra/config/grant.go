package config

import "fmt"

// DefaultGrantMaxHours is the longest just-in-time grant when grantMaxHours is not set.
const DefaultGrantMaxHours = 12

// GrantMaxHoursOrDefault is the configured grantMaxHours, or DefaultGrantMaxHours.
func (c *Config) GrantMaxHoursOrDefault() int {
	if c.GrantMaxHours == 0 {
		return DefaultGrantMaxHours
	}
	return c.GrantMaxHours
}

// GrantsEnabled says whether the just-in-time access state machine is deployed: it needs the
// Identity Center instance to assign permission sets in.
func (c *Config) GrantsEnabled() bool { return c.IdentityCenter.InstanceArn != "" }

// validateGrant checks the just-in-time access settings.
func (c *Config) validateGrant() []string {
	var p []string
	// A Standard workflow runs up to a year; a grant longer than 30 days is not just-in-time.
	if c.GrantMaxHours < 0 || c.GrantMaxHours > 720 {
		p = append(p, fmt.Sprintf("grantMaxHours: must be 1-720 (hours; default %d), got %d", DefaultGrantMaxHours, c.GrantMaxHours))
	}
	return p
}
