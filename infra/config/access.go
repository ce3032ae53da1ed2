package config

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Access is "access as code": Identity Center permission sets, their assignments to groups and
// accounts, and optional SAML federation for accounts outside Identity Center. File paths are
// relative to the directory holding cdk.json (or absolute); the files are read and validated at
// synth, so editing a policy file and deploying updates the permission set.
type Access struct {
	// Groups maps the Identity Center group names used below to their group ids.
	Groups         map[string]string `json:"groups,omitempty"`
	PermissionSets []PermissionSet   `json:"permissionSets,omitempty"`
	Assignments    []Assignment      `json:"assignments,omitempty"`
	SAML           *SAML             `json:"saml,omitempty"`
}

// PermissionSet is one AWS::SSO::PermissionSet.
type PermissionSet struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// SessionDuration is an ISO 8601 duration between PT1H and PT12H; empty: AWS's default, 1 hour.
	SessionDuration   string   `json:"sessionDuration,omitempty"`
	ManagedPolicyArns []string `json:"managedPolicyArns,omitempty"`
	// InlinePolicyFile is an IAM policy document (JSON), usually policies/permission-sets/<name>.json.
	InlinePolicyFile string `json:"inlinePolicyFile,omitempty"`
	// InlinePolicy is the content of InlinePolicyFile, read and validated by Parse.
	InlinePolicy string `json:"-"`
}

// Assignment gives one group one permission set in each of the accounts.
type Assignment struct {
	Group         string   `json:"group"`
	PermissionSet string   `json:"permissionSet"`
	Accounts      []string `json:"accounts"`
}

// SAML federates an IdP directly with IAM, for accounts outside Identity Center: a SAML
// provider, one role per IdP group, and the role-listing user the IdP's AWS app needs.
type SAML struct {
	// Account to deploy the federation to; empty: the environment's account.
	Account string `json:"account,omitempty"`
	// ProviderName is the IAM SAML provider's name (default "<prefix>-idp").
	ProviderName string `json:"providerName,omitempty"`
	// MetadataFile is the IdP's SAML metadata XML (EntityDescriptor).
	MetadataFile string `json:"metadataFile"`
	// Metadata is the content of MetadataFile, read and checked by Parse.
	Metadata string     `json:"-"`
	Roles    []SAMLRole `json:"roles"`
	// RoleListingUser creates the IAM user (iam:ListRoles, iam:ListAccountAliases only) whose
	// access key the IdP uses to discover the roles (default true).
	RoleListingUser *bool `json:"roleListingUser,omitempty"`
}

// SAMLRole is one IAM role assumable through the SAML provider by members of an IdP group,
// with the policies of one of the permission sets above.
type SAMLRole struct {
	Group         string `json:"group"`
	RoleName      string `json:"roleName,omitempty"` // default: the group name
	PermissionSet string `json:"permissionSet"`
}

// WantsRoleListingUser says whether the role-listing user is deployed.
func (s *SAML) WantsRoleListingUser() bool { return s.RoleListingUser == nil || *s.RoleListingUser }

var (
	rePermSetName   = regexp.MustCompile(`^[\w+=,.@-]{1,32}$`)
	reRoleName      = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	reManagedPolicy = regexp.MustCompile(`^arn:aws[a-z-]*:iam::aws:policy/[\w+=,.@/-]+$`)
	reDuration      = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?$`)
)

const (
	maxManagedPolicies = 20    // Identity Center's adjustable quota per permission set
	maxInlinePolicy    = 32768 // characters, Identity Center's inline policy limit
)

// FileRoot is the directory relative file paths in the access block start from: the nearest
// directory at or above the working directory that holds cdk.json (cdk runs the app there).
func FileRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "cdk.json")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}

func resolvePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(FileRoot(), p)
}

// validate checks the access block and reads its files; problems name the entry.
func (a *Access) validate(c *Config) []string {
	var p []string
	bad := func(key, format string, args ...any) {
		p = append(p, "access."+key+": "+fmt.Sprintf(format, args...))
	}
	for _, g := range sortedKeys(a.Groups) {
		if strings.TrimSpace(g) == "" {
			bad("groups", "has an empty group name")
		}
		if !reIdcGroupID.MatchString(a.Groups[g]) {
			bad("groups."+g, "must be the Identity Center group id (a UUID, optionally prefixed by 10 hex digits and a dash), got %q", a.Groups[g])
		}
	}
	if len(a.PermissionSets) == 0 {
		bad("permissionSets", "must define at least one permission set (assignments and SAML roles refer to them)")
	}
	if len(a.PermissionSets) > 0 && c.IdentityCenter.InstanceArn == "" {
		bad("permissionSets", "need identityCenter.instanceArn (arn:aws:sso:::instance/ssoins-..., shown in Identity Center's settings)")
	}
	sets := map[string]bool{}
	for i := range a.PermissionSets {
		ps := &a.PermissionSets[i]
		key := fmt.Sprintf("permissionSets[%d] (%s)", i, ps.Name)
		p = append(p, ps.validate("access."+key, sets)...)
		sets[ps.Name] = true
	}
	seen := map[string]bool{}
	for i, as := range a.Assignments {
		key := fmt.Sprintf("assignments[%d]", i)
		if _, ok := a.Groups[as.Group]; !ok {
			bad(key+".group", "%q is not in access.groups (known: %s); add its Identity Center group id there", as.Group, strings.Join(sortedKeys(a.Groups), ", "))
		}
		if !sets[as.PermissionSet] {
			bad(key+".permissionSet", "%q is not defined in access.permissionSets", as.PermissionSet)
		}
		if len(as.Accounts) == 0 {
			bad(key+".accounts", "must list at least one 12-digit account id")
		}
		for _, acct := range as.Accounts {
			if !reAccount.MatchString(acct) {
				bad(key+".accounts", "%q is not a 12-digit AWS account id", acct)
				continue
			}
			k := as.Group + "\x00" + as.PermissionSet + "\x00" + acct
			if seen[k] {
				bad(key, "assigns %s to %s in %s a second time", as.PermissionSet, as.Group, acct)
			}
			seen[k] = true
		}
	}
	if a.SAML != nil {
		p = append(p, a.SAML.validate(sets)...)
	}
	return p
}

func (ps *PermissionSet) validate(key string, defined map[string]bool) []string {
	var p []string
	bad := func(field, format string, args ...any) {
		p = append(p, key+"."+field+": "+fmt.Sprintf(format, args...))
	}
	if !rePermSetName.MatchString(ps.Name) {
		bad("name", "must be 1-32 letters, digits or +=,.@_- characters, got %q", ps.Name)
	} else if defined[ps.Name] {
		bad("name", "%q is defined twice; permission set names must be unique", ps.Name)
	}
	if len(ps.Description) > 700 {
		bad("description", "is %d characters; Identity Center allows 700", len(ps.Description))
	}
	if ps.SessionDuration != "" {
		if m := reDuration.FindStringSubmatch(ps.SessionDuration); m == nil || (m[1] == "" && m[2] == "") {
			bad("sessionDuration", "must be an ISO 8601 duration such as PT8H or PT1H30M, got %q", ps.SessionDuration)
		} else if mins := atoi(m[1])*60 + atoi(m[2]); mins < 60 || mins > 720 {
			bad("sessionDuration", "must be between PT1H and PT12H, got %q", ps.SessionDuration)
		}
	}
	if len(ps.ManagedPolicyArns) > maxManagedPolicies {
		bad("managedPolicyArns", "lists %d policies; a permission set takes at most %d", len(ps.ManagedPolicyArns), maxManagedPolicies)
	}
	for _, arn := range ps.ManagedPolicyArns {
		if !reManagedPolicy.MatchString(arn) {
			bad("managedPolicyArns", "%q is not an AWS managed policy ARN (arn:aws:iam::aws:policy/...)", arn)
		}
	}
	if ps.InlinePolicyFile == "" {
		if len(ps.ManagedPolicyArns) == 0 {
			bad("inlinePolicyFile", "is empty and managedPolicyArns too: the permission set would grant nothing")
		}
		return p
	}
	raw, err := os.ReadFile(resolvePath(ps.InlinePolicyFile))
	if err != nil {
		bad("inlinePolicyFile", "cannot read %s (paths are relative to the directory holding cdk.json): %v", ps.InlinePolicyFile, err)
		return p
	}
	doc, err := ParsePolicyDocument(raw)
	if err != nil {
		bad("inlinePolicyFile", "%s is not a valid IAM policy: %v", ps.InlinePolicyFile, err)
		return p
	}
	if len(doc) > maxInlinePolicy {
		bad("inlinePolicyFile", "%s is %d characters when compacted; Identity Center allows %d", ps.InlinePolicyFile, len(doc), maxInlinePolicy)
	}
	ps.InlinePolicy = doc
	return p
}

func (s *SAML) validate(sets map[string]bool) []string {
	var p []string
	bad := func(key, format string, args ...any) {
		p = append(p, "access.saml."+key+": "+fmt.Sprintf(format, args...))
	}
	if s.Account != "" && !reAccount.MatchString(s.Account) {
		bad("account", "must be a 12-digit AWS account id or empty, got %q", s.Account)
	}
	if s.ProviderName != "" && !regexp.MustCompile(`^[\w.-]{1,128}$`).MatchString(s.ProviderName) {
		bad("providerName", "must be 1-128 letters, digits, dots, dashes or underscores, got %q", s.ProviderName)
	}
	if s.MetadataFile == "" {
		bad("metadataFile", "must name the IdP's SAML metadata XML file")
	} else if raw, err := os.ReadFile(resolvePath(s.MetadataFile)); err != nil {
		bad("metadataFile", "cannot read %s (paths are relative to the directory holding cdk.json): %v", s.MetadataFile, err)
	} else if err := checkMetadata(raw); err != nil {
		bad("metadataFile", "%s: %v", s.MetadataFile, err)
	} else {
		s.Metadata = string(raw)
	}
	if len(s.Roles) == 0 {
		bad("roles", "must map at least one IdP group to a permission set")
	}
	names := map[string]bool{}
	for i := range s.Roles {
		r := &s.Roles[i]
		key := fmt.Sprintf("roles[%d]", i)
		if strings.TrimSpace(r.Group) == "" {
			bad(key+".group", "must name the IdP group whose members may assume the role")
		}
		if r.RoleName == "" {
			r.RoleName = r.Group
		}
		if !reRoleName.MatchString(r.RoleName) {
			bad(key+".roleName", "%q is not a valid IAM role name (1-64 letters, digits or +=,.@_-); set roleName", r.RoleName)
		} else if names[r.RoleName] {
			bad(key+".roleName", "%q is used twice", r.RoleName)
		}
		names[r.RoleName] = true
		if !sets[r.PermissionSet] {
			bad(key+".permissionSet", "%q is not defined in access.permissionSets", r.PermissionSet)
		}
	}
	return p
}

// checkMetadata accepts a SAML 2.0 metadata document: an EntityDescriptor with an IdP role.
func checkMetadata(raw []byte) error {
	var md struct {
		XMLName xml.Name
		IDP     *struct{} `xml:"IDPSSODescriptor"`
	}
	if err := xml.Unmarshal(raw, &md); err != nil {
		return fmt.Errorf("not XML: %v", err)
	}
	const ns = "urn:oasis:names:tc:SAML:2.0:metadata"
	if md.XMLName.Space != ns || md.XMLName.Local != "EntityDescriptor" {
		return fmt.Errorf("root element is {%s}%s, want a SAML 2.0 metadata EntityDescriptor (%s)", md.XMLName.Space, md.XMLName.Local, ns)
	}
	if md.IDP == nil {
		return fmt.Errorf("has no IDPSSODescriptor: this is not an identity provider's metadata")
	}
	return nil
}

// PermissionSet returns the named permission set, or nil.
func (a *Access) PermissionSet(name string) *PermissionSet {
	for i := range a.PermissionSets {
		if a.PermissionSets[i].Name == name {
			return &a.PermissionSets[i]
		}
	}
	return nil
}

// AssignmentTargets returns every (group, permission set, account) triple, sorted.
func (a *Access) AssignmentTargets() [][3]string {
	var out [][3]string
	for _, as := range a.Assignments {
		for _, acct := range as.Accounts {
			out = append(out, [3]string{as.Group, as.PermissionSet, acct})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return strings.Join(out[i][:], "/") < strings.Join(out[j][:], "/")
	})
	return out
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
