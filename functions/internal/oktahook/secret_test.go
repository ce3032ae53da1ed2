package oktahook

import (
	"testing"
	"time"
)

func TestRotatedSecretPickedUpWithBoundedRefreshes(t *testing.T) {
	sm := newSecretsServer(t, hookSecret)
	src := NewSecretsManagerSource(sm.client(), "ssoflow/okta-hook")
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	src.now = func() time.Time { return now }
	r := newRig(t, src, nil)
	body := string(fixture(t, "okta-hook-membership-batch.json"))

	if resp := r.do(t, post(body, hookSecret)); resp.StatusCode != 200 {
		t.Fatalf("first delivery: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := r.do(t, post(body, hookSecret)); resp.StatusCode != 200 || sm.count() != 1 {
		t.Fatalf("cached delivery: %d, Secrets Manager calls %d, want 1", resp.StatusCode, sm.count())
	}

	sm.set("rotated-value")
	now = now.Add(time.Second) // well inside the TTL: only the mismatch refresh can see it
	if resp := r.do(t, post(body, "rotated-value")); resp.StatusCode != 200 {
		t.Fatalf("rotated delivery: %d %s", resp.StatusCode, resp.Body)
	}
	if sm.count() != 2 {
		t.Fatalf("Secrets Manager calls = %d, want 2", sm.count())
	}
	if resp := r.do(t, post(body, hookSecret)); resp.StatusCode != 401 {
		t.Errorf("old secret after rotation: %d, want 401", resp.StatusCode)
	}

	// Wrong values cannot drive Secrets Manager calls: one refresh per 30 s at most.
	for range 20 {
		if resp := r.do(t, post(body, "attacker-guess")); resp.StatusCode != 401 {
			t.Fatalf("attacker: %d", resp.StatusCode)
		}
	}
	if sm.count() != 2 {
		t.Errorf("Secrets Manager calls after bad requests = %d, want 2", sm.count())
	}
	now = now.Add(DefaultMinRefreshInterval)
	for range 5 {
		r.do(t, post(body, "attacker-guess"))
	}
	if sm.count() != 3 {
		t.Errorf("Secrets Manager calls after the interval = %d, want 3", sm.count())
	}

	// The TTL re-reads the value on its own.
	now = now.Add(DefaultSecretTTL)
	if resp := r.do(t, post(body, "rotated-value")); resp.StatusCode != 200 || sm.count() != 4 {
		t.Errorf("after TTL: %d, Secrets Manager calls %d, want 4", resp.StatusCode, sm.count())
	}
}

func TestSecretUnreadableIs500(t *testing.T) {
	sm := newSecretsServer(t, "")
	r := newRig(t, NewSecretsManagerSource(sm.client(), "ssoflow/okta-hook"), nil)
	resp := r.do(t, post(string(fixture(t, "okta-hook-membership-batch.json")), hookSecret))
	if resp.StatusCode != 500 {
		t.Fatalf("%d %s, want 500", resp.StatusCode, resp.Body)
	}
	if calls, _ := r.eb.snapshot(); len(calls) != 0 {
		t.Errorf("PutEvents called")
	}
}

func TestEmptySecretNeverAuthenticates(t *testing.T) {
	r := newRig(t, staticSecret(""), nil)
	req := post(string(fixture(t, "okta-hook-membership-batch.json")), " ")
	if resp := r.do(t, req); resp.StatusCode != 401 {
		t.Errorf("empty secret: %d, want 401", resp.StatusCode)
	}
}
