package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/functions/internal/dbplan"
	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/planstore"
)

// A Step Functions state carries at most 256 KiB. A database plan that would not fit (an
// all-groups change over large groups, repeated per database) is passed by reference: Resolve
// splits each database's work into chunks of users, stores every chunk in S3 under its content
// address, and each database's item of the ProvisionDatabases Map names its chunks instead of
// carrying users; an inner Map (ProvisionChunks, one chunk at a time, so two applies never run
// on one database at once) loads each chunk (LoadWork: this function again, see Load) right
// before the provisioner needs it, so no state ever holds more than one chunk.
//
// A chunk is authoritative for the users whose identity store ids fall in its range [From, To):
// the provisioner takes a scope group away only from ledger users in that range, so the
// chunks of one database together converge it exactly as the whole plan would have.

// Defaults for Config.InlineBytes and Config.ChunkBytes.
const (
	// DefaultInlineBytes: a plan up to this size travels in the state itself.
	DefaultInlineBytes = 128 * 1024
	// DefaultChunkBytes: the most one stored chunk (one Map iteration's work) may weigh,
	// leaving room under the 256 KiB quota for the iteration's other fields.
	DefaultChunkBytes = 160 * 1024
)

// PlanStore keeps the chunks of plans too large for a state; *planstore.Store is one.
type PlanStore interface {
	Put(ctx context.Context, body []byte) (planstore.Ref, error)
	Get(ctx context.Context, ref planstore.Ref) ([]byte, error)
}

func (c Config) inlineBytes() int { return positive(c.InlineBytes, DefaultInlineBytes) }
func (c Config) chunkBytes() int  { return positive(c.ChunkBytes, DefaultChunkBytes) }

func positive(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// Covers reports whether the work is authoritative for the identity store user id: every user
// when the work was not split, the users in [From, To) when it is one chunk of a larger plan.
func (w DatabaseWork) Covers(userID string) bool {
	return (w.From == "" || userID >= w.From) && (w.To == "" || userID < w.To)
}

// byReference turns a plan too large for the state into one whose database items name stored
// chunks.
func (r *Resolver) byReference(ctx context.Context, p Plan) (Plan, error) {
	if r.Plans == nil {
		return Plan{}, &errs.ConfigError{Err: fmt.Errorf("the plan for %s is %d KiB, over the %d KiB kept in a Step Functions state, "+
			"and no plan bucket is configured (%s) to pass it by reference; every user is kept as is until then",
			p.Summary, planSize(p)/1024, r.Config.inlineBytes()/1024, envnames.PlanBucket)}
	}
	out := p
	out.Databases = nil
	stored, chunks := 0, 0
	for _, w := range p.Databases {
		item := DatabaseWork{Database: w.Database, EventID: w.EventID, ScopeGroups: w.ScopeGroups}
		for _, c := range split(w, r.Config.chunkBytes()) {
			body, err := json.Marshal(c)
			if err != nil {
				return Plan{}, fmt.Errorf("encode plan chunk for database %q: %w", c.Database, err)
			}
			ref, err := r.Plans.Put(ctx, body)
			if err != nil {
				return Plan{}, fmt.Errorf("store plan chunk for database %q: %w", c.Database, err)
			}
			stored += len(body)
			item.Chunks = append(item.Chunks, Chunk{From: c.From, To: c.To, Count: len(c.Users), Stored: ref})
		}
		chunks += len(item.Chunks)
		out.Databases = append(out.Databases, item)
	}
	r.Log.InfoContext(ctx, "plan passed by reference", "summary", p.Summary, "databases", len(out.Databases), "chunks", chunks, "storedBytes", stored)
	return out, nil
}

// split cuts one database's work into chunks of at most max bytes (a chunk holds at least one
// user), users ordered by identity store id, each chunk covering the id range up to the next
// chunk's first user.
func split(w DatabaseWork, max int) []DatabaseWork {
	users := slices.Clone(w.Users)
	slices.SortFunc(users, func(a, b dbplan.DesiredUser) int {
		return strings.Compare(a.IdentityStoreUserID, b.IdentityStoreUserID)
	})
	base := w
	base.Users = nil
	overhead := planSize(Plan{Databases: []DatabaseWork{base}}) + 256 // + From, To and list punctuation
	var chunks []DatabaseWork
	start, size := 0, overhead
	cut := func(end int) {
		c := base
		c.Users = users[start:end]
		if len(chunks) > 0 {
			c.From = users[start].IdentityStoreUserID
		}
		chunks = append(chunks, c)
		start, size = end, overhead
	}
	for i, u := range users {
		b, _ := json.Marshal(u)
		if i > start && size+len(b)+1 > max {
			cut(i)
		}
		size += len(b) + 1
	}
	cut(len(users))
	for i := 0; i+1 < len(chunks); i++ {
		chunks[i].To = chunks[i+1].From
	}
	return chunks
}

// Load reads one stored chunk back: the work the provisioner converges next. A chunk that is
// gone (the bucket's lifecycle removes chunks after the redrive window) is a PlanGoneError: a
// redrive would find it gone again, so `ssoflow replay` starts the execution anew, which plans
// again.
func (r *Resolver) Load(ctx context.Context, in Input) (DatabaseWork, error) {
	w, err := r.load(ctx, in)
	if err != nil {
		r.Log.ErrorContext(ctx, "load plan chunk failed", "error", err)
		return DatabaseWork{}, errs.Classify(err)
	}
	r.Log.InfoContext(ctx, "plan chunk loaded", "database", w.Database, "users", len(w.Users), "from", w.From, "to", w.To)
	return w, nil
}

func (r *Resolver) load(ctx context.Context, in Input) (DatabaseWork, error) {
	if in.Load == nil {
		return DatabaseWork{}, errs.Invalid("load: no chunk reference in the input (want {\"load\": {\"key\", \"sha256\", \"bytes\"}})")
	}
	if r.Plans == nil {
		return DatabaseWork{}, &errs.ConfigError{Err: errors.New("load: a plan chunk is referenced but no plan bucket is configured (" + envnames.PlanBucket + ")")}
	}
	body, err := r.Plans.Get(ctx, *in.Load)
	if errors.Is(err, planstore.ErrNotFound) {
		return DatabaseWork{}, &errs.PlanGoneError{Err: fmt.Errorf("load: plan chunk %s is gone (chunks expire after the redrive window): "+
			"replay the execution anew (`ssoflow replay --execution <name> --anew`), which plans the change again: %w", in.Load.Key, err)}
	}
	if err != nil {
		return DatabaseWork{}, err
	}
	var w DatabaseWork
	if err := json.Unmarshal(body, &w); err != nil {
		return DatabaseWork{}, errs.Invalid("load: plan chunk %s is not a database work item: %v", in.Load.Key, err)
	}
	if len(w.Chunks) > 0 {
		return DatabaseWork{}, errs.Invalid("load: plan chunk %s refers to other chunks", in.Load.Key)
	}
	return w, nil
}
