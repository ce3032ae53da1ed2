package reconcile_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/identitystore"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/idstoreemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/oktaemu"
	"github.com/ssoflow/ssoflow/functions/internal/emulator/scimemu"
	idstore "github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/okta"
	"github.com/ssoflow/ssoflow/functions/internal/reconcile"
	"github.com/ssoflow/ssoflow/functions/internal/sandbox"
	"github.com/ssoflow/ssoflow/functions/internal/scim"
	"github.com/ssoflow/ssoflow/functions/internal/scimpush"
)

// The sandbox's identities, so a world can stand on a sandbox's emulators too.
const (
	storeID   = sandbox.IdentityStoreID
	oktaToken = sandbox.OktaToken
	scimToken = sandbox.SCIMToken
)

// world is Okta and one Identity Center directory (SCIM and identity store views), each
// served over HTTP and reached by the real clients.
type world struct {
	okta                     *oktaemu.Emulator
	scim                     *scimemu.Emulator
	ids                      *idstoreemu.Server
	limiter                  *reconcile.Limiter
	oktaURL, scimURL, idsURL string
}

func newWorld(t testing.TB, okt *oktaemu.Emulator, ids *idstoreemu.Server, sc *scimemu.Emulator) *world {
	t.Helper()
	w := &world{okta: okt, scim: sc, ids: ids, limiter: reconcile.NewLimiter(0, 1)}
	for _, h := range []struct {
		h   http.Handler
		url *string
	}{{okt, &w.oktaURL}, {sc, &w.scimURL}, {ids, &w.idsURL}} {
		srv := httptest.NewServer(h.h)
		t.Cleanup(srv.Close)
		*h.url = srv.URL
	}
	return w
}

// reconciler builds the reconcile core over the real clients, Identity Center requests (SCIM
// and identity store) going through one limiter.
func (w *world) reconciler(cfg reconcile.Config) *reconcile.Reconciler {
	hc := w.limiter.Client(nil)
	ok := okta.New(w.oktaURL, oktaToken, nil)
	ok.MaxWait = 2 * time.Second
	ok.Logger = slog.New(slog.DiscardHandler)
	sc := scim.New(w.scimURL, scimToken, hc).WithRetry(4, 5*time.Second)
	api := idstoreemu.NewClient(w.idsURL, idstore.WithoutThrottleRetries, func(o *sdk.Options) { o.HTTPClient = hc })
	cfg.IdentityStoreID = storeID
	return &reconcile.Reconciler{
		Okta: ok, Directory: api, Members: idstore.NewReader(api, storeID, idstore.Options{MaxWait: time.Second}),
		External: sc, SCIM: scimpush.New(sc, nil), Config: cfg, Log: slog.New(slog.DiscardHandler),
	}
}

// oktaLogins returns the logins of an Okta group's members, sorted.
func oktaLogins(t testing.TB, o *oktaemu.Emulator, byID map[string]string, groupID string) []string {
	t.Helper()
	var out []string
	for _, id := range o.Members(groupID) {
		out = append(out, byID[id])
	}
	slices.Sort(out)
	return out
}

// icLogins returns the Okta logins of an Identity Center group's members (through the
// identity store view), sorted.
func icLogins(t testing.TB, ids *idstoreemu.Server, toLogin map[string]string, groupID string) []string {
	t.Helper()
	var out []string
	for _, id := range ids.Members(groupID) {
		l, ok := toLogin[id]
		if !ok {
			l = "?" + id
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}
