package grant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ssoflow/ssoflow/functions/internal/errs"
	"github.com/ssoflow/ssoflow/functions/internal/identitystore"
	"github.com/ssoflow/ssoflow/functions/internal/notify"
)

// Resolved is what Validate found: the request's names resolved to Identity Center ids ($.grant).
type Resolved struct {
	Mode              string `json:"mode"`
	Kind              string `json:"kind"`
	UserID            string `json:"userId"`
	UserName          string `json:"userName"`
	AccountID         string `json:"accountId,omitempty"`
	PermissionSetArn  string `json:"permissionSetArn,omitempty"`
	PermissionSetName string `json:"permissionSetName,omitempty"`
	GroupID           string `json:"groupId,omitempty"`
	GroupName         string `json:"groupName,omitempty"`
	End               string `json:"end"` // WaitUntilEnd's TimestampPath
}

// Op is the state of the last create or delete ($.op), polled until it is done.
type Op struct {
	RequestID     string `json:"requestId,omitempty"`
	Status        string `json:"status"` // IN_PROGRESS, SUCCEEDED or FAILED
	FailureReason string `json:"failureReason"`
	Polls         int    `json:"polls"`
	// Preexisting: the access was in place before this grant, held by nothing ssoflow runs (a
	// permanent assignment): the grant's end must leave it.
	Preexisting bool `json:"preexisting,omitempty"`
	// Changed says whether this step changed anything (false: it was already so).
	Changed bool `json:"changed"`
}

// Others is CheckOtherGrants' answer ($.others).
type Others struct {
	Needed      bool     `json:"needed"`
	By          []string `json:"by"`
	Preexisting bool     `json:"preexisting,omitempty"`
}

// Caught is an error caught by a Catch ($.error).
type Caught struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// State is the execution's state as the tasks receive it: the request and what earlier steps added.
type State struct {
	Request
	Grant  *Resolved `json:"grant,omitempty"`
	Op     *Op       `json:"op,omitempty"`
	Others *Others   `json:"others,omitempty"`
	Error  *Caught   `json:"error,omitempty"`
}

// Event is one task invocation: which step, the state, the execution's identity.
type Event struct {
	Action          string `json:"action"`
	State           State  `json:"state"`
	ExecutionName   string `json:"executionName"`
	ExecutionArn    string `json:"executionArn,omitempty"`
	StateMachineArn string `json:"stateMachineArn,omitempty"`
}

// Directory resolves identity store names (identitystore.Reader).
type Directory interface {
	UserIDByName(ctx context.Context, name string) (string, error)
	GroupIDByName(ctx context.Context, name string) (string, error)
}

// Memberships changes group memberships idempotently (identitystore.Writer).
type Memberships interface {
	AddMembership(ctx context.Context, groupID, userID string) (bool, error)
	RemoveMembership(ctx context.Context, groupID, userID string) (bool, error)
}

// ActiveGrants lists the running grant executions (Registry).
type ActiveGrants interface {
	Active(ctx context.Context) ([]Active, error)
}

// Config is the deployment's configuration of grants.
type Config struct {
	InstanceArn     string
	MaxDuration     time.Duration
	TopicArn        string
	StateMachineArn string
}

// Service runs the steps of the grant state machine.
type Service struct {
	Config
	SSO       SSOAdminAPI
	Orgs      OrganizationsAPI // checks the account of an assignment (see checkAccount)
	Directory Directory
	Members   Memberships
	Grants    ActiveGrants
	SNS       notify.Publisher
	Log       *slog.Logger
	Now       func() time.Time // default time.Now

	orgsWarning sync.Once // the warning that Organizations cannot be read, logged once
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Handle dispatches on the step's action; errors are classified for Retry and Catch.
func (s *Service) Handle(ctx context.Context, ev Event) (any, error) {
	var out any
	var err error
	switch ev.Action {
	case "validate":
		out, err = s.Validate(ctx, ev)
	case "create":
		out, err = s.Create(ctx, ev)
	case "pollCreation":
		out, err = s.PollCreation(ctx, ev)
	case "addMembership":
		out, err = s.AddMembership(ctx, ev)
	case "checkOthers":
		out, err = s.CheckOthers(ctx, ev)
	case "delete":
		out, err = s.Delete(ctx, ev)
	case "pollDeletion":
		out, err = s.PollDeletion(ctx, ev)
	case "removeMembership":
		out, err = s.RemoveMembership(ctx, ev)
	case "announce":
		out, err = s.Announce(ctx, ev)
	case "announceEnd":
		out, err = s.AnnounceEnd(ctx, ev)
	default:
		err = errs.Invalid("unknown grant action %q", ev.Action)
	}
	if err != nil {
		s.Log.ErrorContext(ctx, "grant step failed", "action", ev.Action, "grant", ev.State.GrantID, "error", err)
		return nil, errs.Classify(err)
	}
	return out, nil
}

// Validate checks the request and resolves the user and the permission set or group: each
// must exist, and a grant's account must be an ACTIVE member of the organization (AWS
// Organizations DescribeAccount; without Organizations read access this is left to Identity
// Center, whose assignment to an account outside the organization ends FAILED). A revoke skips
// the time and account checks: removing access must not depend on the account's state.
func (s *Service) Validate(ctx context.Context, ev Event) (*Resolved, error) {
	req := ev.State.Request
	if err := req.Check(s.now(), s.MaxDuration); err != nil {
		return nil, &errs.InvalidInputError{Err: err}
	}
	if ev.ExecutionName != req.GrantID && ev.ExecutionName != req.GrantID+RevokeSuffix {
		return nil, errs.Invalid("execution %q does not carry grant %q: the execution name must be the grant id", ev.ExecutionName, req.GrantID)
	}
	mode := req.Mode
	if mode == "" {
		mode = ModeGrant
	}
	r := &Resolved{Mode: mode, Kind: req.Kind, UserName: req.User, End: req.End}
	uid, err := s.Directory.UserIDByName(ctx, req.User)
	if errors.Is(err, identitystore.ErrNotFound) {
		return nil, errs.Invalid("no user named %q in the identity store", req.User)
	}
	if err != nil {
		return nil, fmt.Errorf("look up user %q: %w", req.User, err)
	}
	r.UserID = uid
	if req.Kind == KindMembership {
		gid, err := s.Directory.GroupIDByName(ctx, req.Group)
		if errors.Is(err, identitystore.ErrNotFound) {
			return nil, errs.Invalid("no group named %q in the identity store", req.Group)
		}
		if err != nil {
			return nil, fmt.Errorf("look up group %q: %w", req.Group, err)
		}
		r.GroupID, r.GroupName = gid, req.Group
		return r, nil
	}
	arn, err := s.permissionSetArn(ctx, req.PermissionSet)
	if err != nil {
		return nil, err
	}
	if mode != ModeRevoke {
		if err := s.checkAccount(ctx, req.AccountID); err != nil {
			return nil, err
		}
	}
	r.AccountID, r.PermissionSetArn, r.PermissionSetName = req.AccountID, arn, req.PermissionSet
	return r, nil
}

// CheckOthers decides whether the access stays at the end of this grant: another active grant
// still needs it, or it existed before the grant.
func (s *Service) CheckOthers(ctx context.Context, ev Event) (*Others, error) {
	active, err := s.Grants.Active(ctx)
	if err != nil {
		return nil, err
	}
	by := Holders(active, ev.State.Request, ev.ExecutionName, s.now(), true)
	pre := ev.State.Op != nil && ev.State.Op.Preexisting
	s.Log.InfoContext(ctx, "other grants checked", "grant", ev.State.GrantID, "neededBy", by, "preexisting", pre)
	return &Others{Needed: len(by) > 0 || pre, By: append([]string{}, by...), Preexisting: pre}, nil
}

// AddMembership adds the user to the group; a membership already in place and held by no
// other grant is preexisting and will be left at the end.
func (s *Service) AddMembership(ctx context.Context, ev Event) (*Op, error) {
	g := ev.State.Grant
	added, err := s.Members.AddMembership(ctx, g.GroupID, g.UserID)
	if err != nil {
		return nil, fmt.Errorf("add %s to group %s: %w", g.UserName, g.GroupName, err)
	}
	op := &Op{Status: "SUCCEEDED", Changed: added}
	if !added {
		if op.Preexisting, err = s.preexisting(ctx, ev); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// RemoveMembership removes the user from the group (nothing to do when gone already).
func (s *Service) RemoveMembership(ctx context.Context, ev Event) (*Op, error) {
	g := ev.State.Grant
	removed, err := s.Members.RemoveMembership(ctx, g.GroupID, g.UserID)
	if err != nil {
		return nil, fmt.Errorf("remove %s from group %s: %w", g.UserName, g.GroupName, err)
	}
	return &Op{Status: "SUCCEEDED", Changed: removed}, nil
}

// preexisting: the access is in place and no other running grant holds it.
func (s *Service) preexisting(ctx context.Context, ev Event) (bool, error) {
	active, err := s.Grants.Active(ctx)
	if err != nil {
		return false, err
	}
	return len(Holders(active, ev.State.Request, ev.ExecutionName, s.now(), false)) == 0, nil
}
