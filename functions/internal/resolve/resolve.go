// Package resolve is the first step of the provision state machine: it reads what an event
// names from the source of truth as it is now (Okta for Okta events, the identity store for
// Identity Center events) and plans the work. The event is only a trigger, so a duplicated,
// reordered or replayed event plans the same converging work.
package resolve

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	ssoflow "github.com/ssoflow/ssoflow/functions"
	"github.com/ssoflow/ssoflow/functions/internal/ctevent"
	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/oktahook"
	"github.com/ssoflow/ssoflow/functions/internal/planstore"
	"github.com/ssoflow/ssoflow/functions/internal/ttlcache"
)

// Plan kinds: the provision state machine's Route state chooses on them.
const (
	KindOkta     = "okta"
	KindDatabase = "database"
	KindIgnore   = "ignore"
)

// Config is what the resolver needs to know of the deployment.
type Config struct {
	GroupPrefix     string            // Okta groups pushed by name
	GroupMappings   map[string]string // Okta group id → Identity Center group id
	IdentityStoreID string
	Databases       []Database
	// Targets are the databases provisioned in another account or region (ParseTargets);
	// the others have none.
	Targets map[string]Target
	// InlineBytes is the largest plan kept in the state itself, ChunkBytes the largest stored
	// chunk of a larger one (defaults DefaultInlineBytes, DefaultChunkBytes).
	InlineBytes int
	ChunkBytes  int
}

// Database is the part of a database's configuration the plan needs: its grants.
type Database struct {
	Name   string              `json:"name"`
	Grants map[string][]string `json:"grants"` // Identity Center group name → roles
}

// Input is the Resolve state's input, the EventBridge event that started the execution, or the
// LoadWork state's, the reference to a stored chunk of a plan.
type Input struct {
	Event json.RawMessage `json:"event,omitempty"`
	Load  *planstore.Ref  `json:"load,omitempty"`
}

// Plan is the Resolve state's output.
type Plan struct {
	Kind      string             `json:"kind"`
	Reason    string             `json:"reason,omitempty"`
	Summary   string             `json:"summary,omitempty"`
	Push      *ssoflow.GroupPush `json:"push,omitempty"`
	Databases []DatabaseWork     `json:"databases,omitempty"`
}

// DatabaseWork is one iteration of the ProvisionDatabases Map: the desired state of the users the
// change touched, in one database.
type DatabaseWork struct {
	Database    string               `json:"database"`
	EventID     string               `json:"eventId,omitempty"`
	Users       []dbplan.DesiredUser `json:"users,omitempty"`
	ScopeGroups []string             `json:"scopeGroups,omitempty"`
	// From and To bound a chunk of a plan passed by reference: the work is authoritative for
	// the identity store user ids in [From, To) (an empty bound is open); see Covers.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Chunks is set instead of Users on a ProvisionDatabases item whose work was passed by
	// reference: the stored chunks, which the ProvisionChunks Map loads and provisions one at
	// a time (never two applies on one database at once).
	Chunks []Chunk `json:"chunks,omitempty"`
	// FunctionArn and RoleArn are set for a database in another account or region: the
	// provisioner there and the role the state machine invokes it with (the Map's
	// WhereIsTheDatabase Choice routes on RoleArn). Both are empty for the pipeline's own
	// databases. They are routing only: identity store access never leaves this account.
	FunctionArn string `json:"functionArn,omitempty"`
	RoleArn     string `json:"roleArn,omitempty"`
}

// Chunk names one stored chunk of a database's work: the users with identity store ids in
// [From, To), Count of them, in the plan bucket under Stored.
type Chunk struct {
	From   string        `json:"from,omitempty"`
	To     string        `json:"to,omitempty"`
	Count  int           `json:"count"`
	Stored planstore.Ref `json:"stored"`
}

// Resolver plans the work for one event.
type Resolver struct {
	Okta     Okta
	Identity Identity
	Config   Config
	Log      *slog.Logger
	// Plans stores plans too large for a state; nil refuses them with a ConfigError.
	Plans PlanStore

	oktaGroups *ttlcache.Cache[string] // Okta group id → name
	idcGroups  *ttlcache.Cache[string] // Identity Center group name → id
}

// New returns a resolver; either source may be nil when a deployment does not use it.
func New(o Okta, id Identity, cfg Config, log *slog.Logger) *Resolver {
	return &Resolver{Okta: o, Identity: id, Config: cfg, Log: log,
		oktaGroups: ttlcache.New[string](10 * time.Minute), idcGroups: ttlcache.New[string](10 * time.Minute)}
}

type envelope struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// Invoke is the Lambda handler of both states the function serves: Resolve ({"event": …}) gets
// the plan, LoadWork ({"load": ref}) a stored chunk of one.
func (r *Resolver) Invoke(ctx context.Context, in Input) (any, error) {
	if in.Load != nil {
		return r.Load(ctx, in)
	}
	return r.Handle(ctx, in)
}

// Handle plans the work for an event: it returns the plan or a classified error.
func (r *Resolver) Handle(ctx context.Context, in Input) (Plan, error) {
	p, err := r.plan(ctx, in)
	if err != nil {
		r.Log.ErrorContext(ctx, "resolve failed", "error", err)
		return Plan{}, errs.Classify(err)
	}
	r.Log.InfoContext(ctx, "resolved", "kind", p.Kind, "reason", p.Reason, "summary", p.Summary)
	return p, nil
}

func (r *Resolver) plan(ctx context.Context, in Input) (Plan, error) {
	if len(in.Event) == 0 {
		return Plan{}, errs.Invalid("resolve: no event in the input (want {\"event\": <EventBridge event>})")
	}
	var env envelope
	if err := json.Unmarshal(in.Event, &env); err != nil {
		return Plan{}, errs.Invalid("resolve: event is not an EventBridge event: %v", err)
	}
	switch {
	case env.Source == ssoflow.EventSourceOkta && env.DetailType == ssoflow.DetailTypeOktaMembership:
		var ev ssoflow.OktaMembershipEvent
		if err := json.Unmarshal(env.Detail, &ev); err != nil {
			return Plan{}, errs.Invalid("resolve: Okta membership event %s: %v", env.ID, err)
		}
		return r.okta(ctx, ev)
	case strings.HasPrefix(env.Source, "aws.partner/okta.com"):
		ev, ok, err := oktahook.ParseLogStreamEvent(env.Detail)
		if err != nil {
			return Plan{}, errs.Invalid("resolve: Okta log stream event %s: %v", env.ID, err)
		}
		if !ok {
			return Plan{Kind: KindIgnore, Reason: "Okta log stream event is not a group membership change"}, nil
		}
		return r.okta(ctx, ev)
	case env.Source == ssoflow.EventSourceReconcile && env.DetailType == ssoflow.DetailTypeReconcileDatabases:
		return r.databases(ctx, ctevent.Change{Kind: ctevent.KindAllGroups, EventID: env.ID, EventName: "ScheduledReconcile",
			IdentityStoreID: r.Config.IdentityStoreID, Reason: "scheduled reconcile of every mapped group"})
	case env.DetailType == ctevent.DetailType:
		return r.identityCenter(ctx, in.Event)
	}
	return Plan{Kind: KindIgnore, Reason: fmt.Sprintf("event from %q (%s) is not one ssoflow handles", env.Source, env.DetailType)}, nil
}
