package dbplan_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
)

const storeID = "d-1234567890"

// world is an identity store with two mapped groups, one unmapped group and four users:
// alice in readers and writers, bob in readers, carol in writers, dave only in the unmapped one.
type world struct {
	emu                        *idstoreemu.Server
	reader                     *identitystore.Reader
	cfg                        dbplan.Config
	readers, writers, unmapped string
	alice, bob, carol, dave    string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	emu := idstoreemu.New(storeID)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	client := idstoreemu.NewClient(srv.URL, identitystore.WithoutThrottleRetries)
	w := &world{emu: emu, reader: identitystore.NewReader(client, storeID, identitystore.Options{})}
	w.readers = mustGroup(t, emu, "Okta-DB-Readers")
	w.writers = mustGroup(t, emu, "Okta-DB-Writers")
	w.unmapped = mustGroup(t, emu, "Everyone")
	w.alice = mustUser(t, emu, "alice", w.readers, w.writers, w.unmapped)
	w.bob = mustUser(t, emu, "bob", w.readers)
	w.carol = mustUser(t, emu, "carol", w.writers)
	w.dave = mustUser(t, emu, "dave", w.unmapped)
	w.cfg = dbplan.Config{IdentityStoreID: storeID, Groups: []dbplan.MappedGroup{
		{Name: "readers", GroupID: w.readers, Roles: []string{"app_read"}},
		{Name: "writers", GroupID: w.writers, Roles: []string{"app_read", "app_write"}},
	}}
	return w
}

func mustGroup(t *testing.T, emu *idstoreemu.Server, name string) string {
	t.Helper()
	id, err := emu.AddGroup(name)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustUser(t *testing.T, emu *idstoreemu.Server, name string, groups ...string) string {
	t.Helper()
	id, err := emu.AddUser(idstoreemu.UserSpec{UserName: name, DisplayName: name, Email: name + "@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if _, err := emu.AddMember(g, id); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func user(id, name string, groups, roles []string) dbplan.DesiredUser {
	return dbplan.DesiredUser{IdentityStoreUserID: id, UserName: name, Email: name + "@example.com", Groups: groups, Roles: roles}
}

func equalUsers(a, b []dbplan.DesiredUser) bool {
	return slices.EqualFunc(a, b, func(x, y dbplan.DesiredUser) bool {
		return x.IdentityStoreUserID == y.IdentityStoreUserID && x.UserName == y.UserName && x.Email == y.Email &&
			x.Deleted == y.Deleted && slices.Equal(x.Groups, y.Groups) && slices.Equal(x.Roles, y.Roles)
	})
}

func TestUserGroupChangePlansTheUserAcrossAllMappedGroups(t *testing.T) {
	w := newWorld(t)
	ch := ctevent.Change{Kind: ctevent.KindUserGroup, UserID: w.alice, GroupID: w.readers, IdentityStoreID: storeID, EventID: "e1"}
	p, err := dbplan.Compute(context.Background(), w.reader, ch, w.cfg)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	want := []dbplan.DesiredUser{user(w.alice, "alice", []string{"readers", "writers"}, []string{"app_read", "app_write"})}
	if p.Kind != ctevent.KindUserGroup || p.EventID != "e1" || !equalUsers(p.Users, want) || len(p.ScopeGroups) != 0 {
		t.Errorf("plan = %+v, want only alice with both groups and no scope", p)
	}
}

func TestRemovedMemberGetsFewerGroups(t *testing.T) {
	w := newWorld(t)
	w.emu.RemoveMember(w.writers, w.alice)
	ch := ctevent.Change{Kind: ctevent.KindUserGroup, UserID: w.alice, GroupID: w.writers}
	p, err := dbplan.Compute(context.Background(), w.reader, ch, w.cfg)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	want := []dbplan.DesiredUser{user(w.alice, "alice", []string{"readers"}, []string{"app_read"})}
	if !equalUsers(p.Users, want) {
		t.Errorf("users = %+v, want %+v", p.Users, want)
	}
}

func TestDeletedUserHasNoGroups(t *testing.T) {
	w := newWorld(t)
	w.emu.RemoveUser(w.bob)
	ch := ctevent.Change{Kind: ctevent.KindUser, UserID: w.bob, Deleted: true}
	p, err := dbplan.Compute(context.Background(), w.reader, ch, w.cfg)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	want := []dbplan.DesiredUser{{IdentityStoreUserID: w.bob, Groups: []string{}, Roles: []string{}, Deleted: true}}
	if !equalUsers(p.Users, want) {
		t.Errorf("users = %+v, want bob deleted", p.Users)
	}
}

func TestGroupChangeRereadsTheGroup(t *testing.T) {
	w := newWorld(t)
	ch := ctevent.Change{Kind: ctevent.KindGroup, GroupID: w.readers}
	p, err := dbplan.Compute(context.Background(), w.reader, ch, w.cfg)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	want := []dbplan.DesiredUser{
		user(w.alice, "alice", []string{"readers", "writers"}, []string{"app_read", "app_write"}),
		user(w.bob, "bob", []string{"readers"}, []string{"app_read"}),
	}
	if !equalUsers(p.Users, want) || !slices.Equal(p.ScopeGroups, []string{"readers"}) {
		t.Errorf("plan = %+v, want alice and bob with scope [readers]", p)
	}
	// alice's other groups were asked once; bob's too; carol and dave were never read.
	if n := w.emu.Requests("IsMemberInGroups"); n != 2 {
		t.Errorf("IsMemberInGroups requests = %d, want 2", n)
	}
}

func TestAllGroupsReadsEveryMappedGroup(t *testing.T) {
	w := newWorld(t)
	ch := ctevent.Change{Kind: ctevent.KindAllGroups, Reason: "DeleteGroupMembership"}
	p, err := dbplan.Compute(context.Background(), w.reader, ch, w.cfg)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	want := []dbplan.DesiredUser{
		user(w.alice, "alice", []string{"readers", "writers"}, []string{"app_read", "app_write"}),
		user(w.bob, "bob", []string{"readers"}, []string{"app_read"}),
		user(w.carol, "carol", []string{"writers"}, []string{"app_read", "app_write"}),
	}
	if !equalUsers(p.Users, want) || !slices.Equal(p.ScopeGroups, []string{"readers", "writers"}) {
		t.Errorf("plan = %+v, want alice, bob, carol with scope [readers writers]", p)
	}
	if n := w.emu.Requests("IsMemberInGroups"); n != 0 {
		t.Errorf("IsMemberInGroups requests = %d, want 0: every mapped group was listed", n)
	}
}

func TestDeletedMappedGroupEmptiesItsScope(t *testing.T) {
	w := newWorld(t)
	cfg := w.cfg
	cfg.Groups = append(slices.Clone(cfg.Groups), dbplan.MappedGroup{Name: "gone", GroupID: "0123456789-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Roles: []string{"x"}})
	ch := ctevent.Change{Kind: ctevent.KindGroup, GroupID: "0123456789-aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Deleted: true}
	p, err := dbplan.Compute(context.Background(), w.reader, ch, cfg)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if len(p.Users) != 0 || !slices.Equal(p.ScopeGroups, []string{"gone"}) || !slices.Equal(p.MissingGroups, []string{"gone"}) {
		t.Errorf("plan = %+v, want no users, scope and missing [gone]", p)
	}
}

func TestUnmappedOrForeignChangesAreIgnored(t *testing.T) {
	w := newWorld(t)
	cases := map[string]ctevent.Change{
		"unmapped group":      {Kind: ctevent.KindGroup, GroupID: w.unmapped},
		"unmapped user-group": {Kind: ctevent.KindUserGroup, UserID: w.dave, GroupID: w.unmapped},
		"other store":         {Kind: ctevent.KindUser, UserID: w.dave, IdentityStoreID: "d-9999999999"},
		"ignored event":       {Kind: ctevent.KindIgnore, Reason: "the call failed (AccessDenied)"},
	}
	for name, ch := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := dbplan.Compute(context.Background(), w.reader, ch, w.cfg)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if p.Kind != ctevent.KindIgnore || p.Reason == "" || len(p.Users) != 0 {
				t.Errorf("plan = %+v, want ignore with a reason", p)
			}
		})
	}
	for _, op := range []string{"DescribeUser", "IsMemberInGroups", "ListGroupMemberships"} {
		if n := w.emu.Requests(op); n != 0 {
			t.Errorf("%s requests = %d, want none for ignored changes", op, n)
		}
	}
}

func TestBadMappingIsConfigError(t *testing.T) {
	w := newWorld(t)
	cfg := w.cfg
	cfg.Groups = append(slices.Clone(cfg.Groups), dbplan.MappedGroup{Name: "readers", GroupID: w.unmapped})
	_, err := dbplan.Compute(context.Background(), w.reader, ctevent.Change{Kind: ctevent.KindAllGroups}, cfg)
	var ce *errs.ConfigError
	if !errors.As(err, &ce) {
		t.Errorf("error = %v, want a ConfigError", err)
	}
}

// TestFromCloudTrailEvent runs a console event through Parse and Compute.
func TestFromCloudTrailEvent(t *testing.T) {
	w := newWorld(t)
	data, err := os.ReadFile("../ctevent/testdata/cloudtrail-sso-directory-add-member.json")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(
		"a4b8c1d2-e3f4-7081-92a3-b4c5d6e7f801", w.writers,
		"c1d2e3f4-a5b6-7081-92a3-b4c5d6e7f802", w.bob,
		"d-93670a1b2c", storeID,
	).Replace(string(data))
	if _, err := w.emu.AddMember(w.writers, w.bob); err != nil {
		t.Fatal(err)
	}
	ch, err := ctevent.Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	p, err := dbplan.Compute(context.Background(), w.reader, ch, w.cfg)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	want := []dbplan.DesiredUser{user(w.bob, "bob", []string{"readers", "writers"}, []string{"app_read", "app_write"})}
	if !equalUsers(p.Users, want) {
		t.Errorf("users = %+v, want %+v", p.Users, want)
	}
}
