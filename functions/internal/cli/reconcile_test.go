package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/ssoflow/ssoflow/functions/internal/awsconf"
	"github.com/ssoflow/ssoflow/functions/internal/cli"
	"github.com/ssoflow/ssoflow/functions/internal/dbconn"
	"github.com/ssoflow/ssoflow/functions/internal/dbuser"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/rdsmysql"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
)

// `ssoflow reconcile` from a laptop: --dry-run prints the plan table and changes nothing,
// --json prints the plan as JSON, the guard refuses a group losing most of its members until
// --force, a run makes Identity Center equal to Okta, and no token is ever printed.
func TestReconcileCommandPlansAppliesAndForces(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{SharedDirectory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ids := httptest.NewServer(sb.Identity)
	defer ids.Close()
	okta, scim := map[string]string{}, map[string]string{}
	var support []string // Identity Center members of AWS_Support, which Okta answers empty
	for _, l := range []string{"jane@example.com", "sam@example.com", "ana@example.com", "li@example.com", "kim@example.com", "omar@example.com", "eve@example.com"} {
		okta[l] = sb.Okta.AddUser(l)
		scim[l] = sb.SCIM.AddUser(l, okta[l])
		support = append(support, scim[l])
	}
	admins, icAdmins := sb.Okta.AddGroup("AWS_Admins"), sb.SCIM.AddGroup("AWS_Admins")
	sb.Okta.AddGroup("AWS_Support")
	icSupport := sb.SCIM.AddGroup("AWS_Support")
	if err := sb.Okta.AddMember(admins, okta["jane@example.com"]); err != nil {
		t.Fatal(err)
	}
	if err := sb.SCIM.AddMembers(icAdmins, scim["sam@example.com"]); err != nil {
		t.Fatal(err)
	}
	if err := sb.SCIM.AddMembers(icSupport, support...); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"SSOFLOW_OKTA_URL": sb.OktaURL, "SSOFLOW_OKTA_TOKEN": sandbox.OktaToken, "SSOFLOW_SCIM_URL": sb.SCIMURL,
		"SSOFLOW_SCIM_TOKEN": sandbox.SCIMToken, "SSOFLOW_IDENTITY_STORE_ID": sandbox.IdentityStoreID, "SSOFLOW_IDENTITY_STORE_ENDPOINT": ids.URL}
	ssoflow := func(want int, args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := cli.Main(ctx, append([]string{"reconcile"}, args...), &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }})
		if code != want {
			t.Fatalf("reconcile %v: exit %d, want %d\n%s\n%s", args, code, want, out.String(), errOut.String())
		}
		for _, secret := range []string{sandbox.OktaToken, sandbox.SCIMToken} {
			if strings.Contains(out.String()+errOut.String(), secret) {
				t.Fatalf("reconcile %v printed a token", args)
			}
		}
		return out.String(), errOut.String()
	}

	out, errOut := ssoflow(0, "--dry-run", "--max-remove", "0.5", "--group-prefix", "AWS_")
	for _, want := range []string{"GROUP", "AWS_Admins", "1 (jane@example.com)", "1 (sam@example.com)", "AWS_Support", "would remove 7 of 7 members (more than 50%"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "matched 2 Okta groups") || !strings.Contains(errOut, "dry run: nothing changed") {
		t.Errorf("progress on stderr: %q", errOut)
	}
	if !slices.Equal(sb.SCIM.Members(icAdmins), []string{scim["sam@example.com"]}) {
		t.Fatal("a dry run changed Identity Center")
	}

	_, errOut = ssoflow(0)
	if !slices.Equal(sb.SCIM.Members(icAdmins), []string{scim["jane@example.com"]}) || len(sb.SCIM.Members(icSupport)) != 7 {
		t.Errorf("after a run: admins %v, support %d members (want its 7 kept)", sb.SCIM.Members(icAdmins), len(sb.SCIM.Members(icSupport)))
	}
	if !strings.Contains(errOut, "applied: +1 -1 in 1 groups, 1 refused, 0 failed") || !strings.Contains(errOut, "--force") {
		t.Errorf("run summary on stderr: %q", errOut)
	}

	out, _ = ssoflow(0, "--json", "--force")
	var got struct {
		Plan    reconcile.Plan   `json:"plan"`
		Applied reconcile.Report `json:"applied"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if got.Applied.Removed != 7 || len(got.Applied.Refused) != 0 || len(got.Plan.Groups) != 2 || !got.Plan.Force {
		t.Errorf("applied %+v from plan %+v", got.Applied, got.Plan)
	}
	if !slices.Equal(sb.SCIM.Members(icAdmins), []string{scim["jane@example.com"]}) || len(sb.SCIM.Members(icSupport)) != 0 {
		t.Errorf("Identity Center after reconcile: admins %v support %v", sb.SCIM.Members(icAdmins), sb.SCIM.Members(icSupport))
	}
}

// `ssoflow reconcile --databases`: per database, the dry run reads the ledger and the users and
// lists exactly what applying would create, grant, revoke, drop and skip, changing nothing (not
// even the ledger); a run converges the database through the dbusers handler to Identity
// Center as the group changes left it; the guard holds back a mass drop until --force; no
// token (API or IAM) is ever printed.
func TestReconcileCommandDatabases(t *testing.T) {
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{Grants: map[string][]string{"AWS_DBA": {"dba"}, "AWS_Developers": {"app_read"}}, SharedDirectory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ids := httptest.NewServer(sb.Identity)
	defer ids.Close()
	dir := t.TempDir()
	dbFile, caFile := filepath.Join(dir, "databases.json"), filepath.Join(dir, "rds-ca.pem")
	cfgJSON, err := json.Marshal([]dbuser.DatabaseConfig{sb.DB.Config})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbFile, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caFile, sb.DB.Server.CAPEM(), 0o600); err != nil {
		t.Fatal(err)
	}

	people := []string{"jane", "sam", "ana", "kim", "omar", "eve", "li", "max"}
	oktaID, icID := map[string]string{}, map[string]string{}
	for _, p := range people {
		login := p + "@example.com"
		oktaID[p] = sb.Okta.AddUser(login)
		if icID[p], err = sb.Identity.AddUser(idstoreemu.UserSpec{UserName: login, DisplayName: p, Email: login}); err != nil {
			t.Fatal(err)
		}
	}
	oktaGroup, icGroup := map[string]string{}, map[string]string{}
	members := map[string][]string{"AWS_DBA": {"jane"}, "AWS_Developers": {"sam", "ana", "kim", "omar", "eve", "li"}}
	for g, ps := range members {
		oktaGroup[g] = sb.Okta.AddGroup(g)
		if icGroup[g], err = sb.Identity.AddGroup(g); err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if err := sb.Okta.AddMember(oktaGroup[g], oktaID[p]); err != nil {
				t.Fatal(err)
			}
			if p == "ana" {
				continue // Identity Center lacks her until the group step adds her
			}
			if _, err := sb.Identity.AddMember(icGroup[g], icID[p]); err != nil {
				t.Fatal(err)
			}
		}
	}
	// li has a database user ssoflow did not create: it is never touched.
	prov, err := dbconn.Open(dbconn.Config{Engine: dbconn.MySQL, Host: sb.DB.Server.Host(), Port: sb.DB.Server.Port(), Database: sandbox.DatabaseName,
		User: rdsmysql.ProvisionerUser, Region: awsconf.LocalRegion, CAPEM: sb.DB.Server.CAPEM(), MaxOpenConns: 1}, aws.NewCredentialsCache(awsconf.Local().Credentials), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	for _, stmt := range []string{"CREATE USER 'li'@'%' IDENTIFIED WITH " + rdsmysql.PluginName + " AS '" + rdsmysql.PluginAuthString + "'",
		"GRANT SELECT ON `" + sandbox.DatabaseName + "`.* TO 'li'@'%'"} {
		if _, err := prov.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	logins := func(step string, want map[string]bool) {
		t.Helper()
		for _, p := range people {
			if got := sb.DB.Login(ctx, p) == nil; got != want[p] {
				t.Errorf("%s: %s logs in = %v, want %v", step, p, got, want[p])
			}
		}
	}

	vars := map[string]string{"SSOFLOW_OKTA_URL": sb.OktaURL, "SSOFLOW_OKTA_TOKEN": sandbox.OktaToken, "SSOFLOW_SCIM_URL": sb.SCIMURL,
		"SSOFLOW_SCIM_TOKEN": sandbox.SCIMToken, "SSOFLOW_IDENTITY_STORE_ID": sandbox.IdentityStoreID, "SSOFLOW_IDENTITY_STORE_ENDPOINT": ids.URL}
	ssoflow := func(args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := cli.Main(ctx, append([]string{"reconcile"}, args...), &cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}); code != 0 {
			t.Fatalf("reconcile %v: exit %d\n%s\n%s", args, code, out.String(), errOut.String())
		}
		for _, secret := range []string{sandbox.OktaToken, sandbox.SCIMToken, "X-Amz-Signature", "Action=connect"} {
			if strings.Contains(out.String()+errOut.String(), secret) {
				t.Fatalf("reconcile %v printed a token (%q)", args, secret)
			}
		}
		return out.String(), errOut.String()
	}

	// The dry run: Identity Center as it is now (ana not yet), read from the database.
	out, _ := ssoflow("--dry-run", "--json", "--databases", dbFile, "--ca", caFile)
	var dry struct {
		Plan reconcile.Plan `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &dry); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if len(dry.Plan.Databases) != 1 || dry.Plan.Databases[0].Changes == nil {
		t.Fatalf("plan databases: %+v", dry.Plan.Databases)
	}
	byAction := map[dbuser.Action][]string{}
	for _, u := range dry.Plan.Databases[0].Changes.Users {
		for _, a := range u.Actions {
			byAction[a] = append(byAction[a], u.DBUser)
		}
	}
	for a := range byAction {
		slices.Sort(byAction[a])
	}
	want := map[dbuser.Action][]string{dbuser.ActionCreated: {"eve", "jane", "kim", "omar", "sam"}, dbuser.ActionGranted: {"eve", "jane", "kim", "omar", "sam"}, dbuser.ActionSkipped: {"li"}}
	if !reflect.DeepEqual(byAction, want) || dry.Plan.Databases[0].Managed != 0 || dry.Plan.Databases[0].Refused != "" {
		t.Errorf("dry-run database plan %v (managed %d, refused %q), want %v", byAction, dry.Plan.Databases[0].Managed, dry.Plan.Databases[0].Refused, want)
	}
	vars["SSOFLOW_DATABASES_FILE"], vars["SSOFLOW_RDS_CA"] = dbFile, caFile
	out, errOut := ssoflow("--dry-run")
	for _, w := range []string{"AWS_Developers", "1 (ana@example.com)", "DATABASE orders", "create", "5: eve, jane, kim, omar, sam",
		"5: eve (app_read), jane (dba), kim (app_read), omar (app_read), sam (app_read)", "li (exists, not managed by ssoflow)", "0 users managed by ssoflow now"} {
		if !strings.Contains(out, w) {
			t.Errorf("dry-run table lacks %q:\n%s", w, out)
		}
	}
	if !strings.Contains(errOut, "dry run: nothing changed") {
		t.Errorf("stderr: %q", errOut)
	}
	logins("after the dry runs", map[string]bool{"li": true})
	var ledgers int
	if err := prov.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'ssoflow'").Scan(&ledgers); err != nil || ledgers != 0 {
		t.Fatalf("the dry runs created the ledger database (%d, %v)", ledgers, err)
	}

	// The run: ana joins AWS_Developers first, so the database gets her too.
	_, errOut = ssoflow()
	if !strings.Contains(errOut, "applied: +1 -0 in 1 groups, 0 refused, 0 failed") || !strings.Contains(errOut, "database orders: created 6, granted 6, skipped 1") {
		t.Errorf("run summary: %q", errOut)
	}
	everyone := map[string]bool{"jane": true, "sam": true, "ana": true, "kim": true, "omar": true, "eve": true, "li": true}
	logins("after the run", everyone)

	// Okta and Identity Center both answer empty groups (an outage, or a mistake): the group
	// step has nothing to remove, the database step would drop all 6 managed users.
	for g, ps := range members {
		for _, p := range ps {
			if err := sb.Okta.RemoveMember(oktaGroup[g], oktaID[p]); err != nil {
				t.Fatal(err)
			}
			sb.Identity.RemoveMember(icGroup[g], icID[p])
		}
	}
	out, errOut = ssoflow()
	if !strings.Contains(out, "drops refused: would drop 6 of 6 managed users") || !strings.Contains(errOut, "1 refused") || !strings.Contains(errOut, "--force") {
		t.Errorf("the guard did not refuse the mass drop:\n%s\n%s", out, errOut)
	}
	logins("after the refused run", everyone)

	_, errOut = ssoflow("--force")
	if !strings.Contains(errOut, "database orders: dropped 6, revoked 6") {
		t.Errorf("forced run summary: %q", errOut)
	}
	logins("after --force", map[string]bool{"li": true})
}
