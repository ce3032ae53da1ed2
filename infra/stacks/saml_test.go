package stacks_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/ssoflow/ssoflow/infra/stacks"
)

// idpMetadata is an IdP's metadata as Okta serves it, with a signing certificate made here.
func idpMetadata(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.okta.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1a2b3c4d5e6f7g8h9">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` +
		base64.StdEncoding.EncodeToString(der) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://example.okta.com/app/amazon_aws/exk1a2b3c4d5e6f7g8h9/sso/saml"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

// The SAML federation stack: provider from the metadata file, one role per group trusting only
// that provider for the AWS sign-in audience, with its permission set's policies, and the
// role-listing user with exactly iam:ListRoles and iam:ListAccountAliases; cdk-nag clean.
func TestSamlFederation(t *testing.T) {
	metadata := filepath.Join(t.TempDir(), "okta-metadata.xml")
	xmlDoc := idpMetadata(t)
	if err := os.WriteFile(metadata, []byte(xmlDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := devConfigWith(t, func(acc map[string]any) {
		acc["saml"] = map[string]any{
			"account":      "555566667777",
			"metadataFile": metadata,
			"roles": []any{
				map[string]any{"group": "AWS_Developers", "permissionSet": "DatabaseDeveloper"},
				map[string]any{"group": "AWS_DBA", "roleName": "dba-readonly", "permissionSet": "ReadOnly"},
			},
		}
	})
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"aws:cdk:bundling-stacks": []string{}}})
	a := stacks.NewApp(app, stacks.AppProps{Config: cfg, RepoRoot: repoRoot})
	if a.Access == nil || a.Access.Saml == nil {
		t.Fatal("no SAML stack although access.saml is configured")
	}
	st := a.Access.Saml.Stack
	if *st.StackName() != "ssoflow-dev-saml" || *st.Account() != "555566667777" {
		t.Errorf("SAML stack %s in account %s, want ssoflow-dev-saml in 555566667777", *st.StackName(), *st.Account())
	}
	tpl := *assertions.Template_FromStack(st, nil).ToJSON()

	providers := resources(tpl, "AWS::IAM::SAMLProvider")
	var providerID string
	for id, p := range providers {
		providerID = id
		if p["SamlMetadataDocument"] != xmlDoc || p["Name"] != "ssoflow-dev-idp" {
			t.Errorf("SAML provider %s: name %v, metadata %v", id, p["Name"], p["SamlMetadataDocument"])
		}
	}
	if len(providers) != 1 {
		t.Fatalf("want one SAML provider, got %d", len(providers))
	}

	roles := map[string]map[string]any{}
	for _, p := range resources(tpl, "AWS::IAM::Role") {
		roles[p["RoleName"].(string)] = p
	}
	if len(roles) != 2 || roles["AWS_Developers"] == nil || roles["dba-readonly"] == nil {
		t.Fatalf("roles %v, want AWS_Developers and dba-readonly", slices.Sorted(maps.Keys(roles)))
	}
	for name, r := range roles {
		trust := r["AssumeRolePolicyDocument"].(map[string]any)["Statement"].([]any)
		if len(trust) != 1 {
			t.Fatalf("%s: trust policy %v", name, trust)
		}
		stmt := trust[0].(map[string]any)
		wantPrincipal := map[string]any{"Federated": map[string]any{"Ref": providerID}}
		wantCond := map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}
		if stmt["Effect"] != "Allow" || !slices.Equal(anyStrings(stmt["Action"]), []string{"sts:AssumeRoleWithSAML", "sts:TagSession"}) ||
			!reflect.DeepEqual(stmt["Principal"], wantPrincipal) || !reflect.DeepEqual(stmt["Condition"], wantCond) {
			t.Errorf("%s: trust statement %v", name, stmt)
		}
	}
	dev, dba := roles["AWS_Developers"], roles["dba-readonly"]
	wantInline := readJSON(t, filepath.Join(repoRoot, "policies", "permission-sets", "DatabaseDeveloper.json"))
	inline, _ := dev["Policies"].([]any)
	if len(inline) != 1 || !reflect.DeepEqual(inline[0].(map[string]any)["PolicyDocument"], wantInline) || dev["MaxSessionDuration"] != float64(8*3600) {
		t.Errorf("AWS_Developers role: policies %v, max session %v; want the DatabaseDeveloper file and 28800", dev["Policies"], dev["MaxSessionDuration"])
	}
	if !slices.Equal(anyStrings(dba["ManagedPolicyArns"]), []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}) || dba["MaxSessionDuration"] != float64(4*3600) {
		t.Errorf("dba-readonly role: managed %v, max session %v", dba["ManagedPolicyArns"], dba["MaxSessionDuration"])
	}

	users := resources(tpl, "AWS::IAM::User")
	policies := resources(tpl, "AWS::IAM::ManagedPolicy")
	if len(users) != 1 || len(policies) != 1 {
		t.Fatalf("want one role-listing user and policy, got %d users, %d managed policies", len(users), len(policies))
	}
	for _, p := range policies {
		stmts := p["PolicyDocument"].(map[string]any)["Statement"].([]any)
		stmt := stmts[0].(map[string]any)
		if len(stmts) != 1 || stmt["Effect"] != "Allow" || stmt["Resource"] != "*" ||
			!slices.Equal(slices.Sorted(slices.Values(anyStrings(stmt["Action"]))), []string{"iam:ListAccountAliases", "iam:ListRoles"}) {
			t.Errorf("role-listing policy %v, want only iam:ListRoles and iam:ListAccountAliases", stmts)
		}
	}
	if len(resources(tpl, "AWS::IAM::AccessKey")) != 0 {
		t.Error("the stack creates an access key: its secret would be in CloudFormation's hands")
	}
	nagClean(t, st)
	nagClean(t, a.Access.Stack)
}
