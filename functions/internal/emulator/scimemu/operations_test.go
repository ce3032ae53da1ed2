package scimemu_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// CreateGroup takes at most 100 members; CreateUser refuses groups and needs displayName.
func TestCreateLimits(t *testing.T) {
	f := newFixture(t)
	var members []string
	for i := range 101 {
		members = append(members, fmt.Sprintf(`{"value":%q}`, f.emu.AddUser(fmt.Sprintf("m%03d@example.com", i), "")))
	}
	group := func(name string, ms []string) string {
		return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"` + name +
			`","members":[` + strings.Join(ms, ",") + `]}`
	}
	st, _, body := f.do("POST", "/Groups", group("AWS_Big", members))
	assertSCIMError(t, st, body, http.StatusBadRequest)
	st, _, body = f.do("POST", "/Groups", group("AWS_Ghost", []string{`{"value":"nobody"}`}))
	assertSCIMError(t, st, body, http.StatusNotFound)
	st, _, body = f.do("POST", "/Groups", group("AWS_Full", members[:100]))
	if st != http.StatusCreated || len(body["members"].([]any)) != 0 {
		t.Fatalf("100 members: %d %v", st, body)
	}
	if n := len(f.emu.Members(body["id"].(string))); n != 100 {
		t.Errorf("the created group has %d members, want 100", n)
	}
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"g@example.com","displayName":"G",` +
		`"name":{"givenName":"G","familyName":"H"},"groups":[{"value":"x"}]}`
	st, _, body = f.do("POST", "/Users", user)
	assertSCIMError(t, st, body, http.StatusBadRequest)
	noGroups := strings.Replace(user, `,"groups":[{"value":"x"}]`, "", 1)
	st, _, body = f.do("POST", "/Users", strings.Replace(noGroups, `"displayName":"G",`, "", 1))
	assertSCIMError(t, st, body, http.StatusBadRequest) // displayName is required
	if st, _, body = f.do("POST", "/Users", noGroups); st != http.StatusCreated {
		t.Errorf("the same user without groups: %d %v", st, body)
	}
}

// SetRetryAfter(0) makes injected 429 answers carry no Retry-After.
func TestThrottlingWithoutRetryAfter(t *testing.T) {
	f := newFixture(t)
	f.emu.SetRetryAfter(0)
	f.emu.FailNext(1, http.StatusTooManyRequests)
	st, h, body := f.do("GET", "/Groups", "")
	assertSCIMError(t, st, body, http.StatusTooManyRequests)
	if _, ok := h["Retry-After"]; ok {
		t.Errorf("Retry-After %q sent", h.Get("Retry-After"))
	}
}
