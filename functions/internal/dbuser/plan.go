package dbuser

import (
	"context"
	"fmt"
)

// Namer derives and validates database user names; every Engine is one, and deriving a name
// reads nothing.
type Namer interface {
	UserName(userName, email string) (string, error)
}

// Plan returns what Apply would do for desired on a database in state snap, deciding exactly
// as Apply does (Apply runs the same decisions), and changes nothing. The engine may do a
// little more than planned: PostgreSQL also grants its IAM login role to a user it creates.
func Plan(n Namer, snap Snapshot, desired []Desired) Report {
	names, nameErrs, _ := userNames(n, desired)
	byName := ledgerNames(snap)
	var rep Report
	for i, d := range desired {
		rep.add(decide(snap, byName, d, names[i], nameErrs[i]).want)
	}
	return rep
}

// DryRun reads the database without changing it (ReadSnapshot) and returns what
// Apply(ctx, eng, desired) would do now.
func DryRun(ctx context.Context, eng Engine, desired []Desired) (Report, error) {
	_, _, ask := userNames(eng, desired)
	snap, err := ReadSnapshot(ctx, eng, ask)
	if err != nil {
		return Report{}, fmt.Errorf("read database state: %w", err)
	}
	return Plan(eng, snap, desired), nil
}

// snapshotReader is an engine that reads its state without creating the ledger.
type snapshotReader interface {
	ReadSnapshot(ctx context.Context, names []string) (Snapshot, error)
}

// ReadSnapshot reads what Engine.Snapshot reads, but changes nothing: a database whose ledger
// was never created has an empty ledger (Snapshot would create it).
func ReadSnapshot(ctx context.Context, eng Engine, names []string) (Snapshot, error) {
	r, ok := eng.(snapshotReader)
	if !ok {
		return Snapshot{}, fmt.Errorf("engine %T cannot read its state without changing it", eng)
	}
	return r.ReadSnapshot(ctx, names)
}

// userNames derives each desired user's database name (DBUser when set) and lists the valid
// ones, which the snapshot must cover.
func userNames(n Namer, desired []Desired) (names []string, nameErrs []error, valid []string) {
	names = make([]string, len(desired))
	nameErrs = make([]error, len(desired))
	valid = make([]string, 0, len(desired))
	for i, d := range desired {
		if d.DBUser != "" {
			names[i] = d.DBUser
		} else {
			names[i], nameErrs[i] = n.UserName(d.UserName, d.Email)
		}
		if nameErrs[i] == nil {
			valid = append(valid, names[i])
		}
	}
	return names, nameErrs, valid
}

// ledgerNames maps each managed database user name to its identity store user id.
func ledgerNames(snap Snapshot) map[string]string {
	byName := make(map[string]string, len(snap.Ledger))
	for id, e := range snap.Ledger {
		byName[e.DBUser] = id
	}
	return byName
}

// step is the decision for one user: the statements to run, in order, and the report they
// produce when the database is still as the snapshot says.
type step struct {
	want         UserReport
	dropManaged  string       // no groups left: drop this user of the ledger
	dropPrevious string       // the derived name changed: drop the ledger's previous user first
	revoke       []string     // roles ssoflow granted that no group grants any more
	ensure       *ManagedUser // create, grant and record
}

// decide is Apply's (and Plan's) one decision path for a user.
func decide(snap Snapshot, byName map[string]string, d Desired, name string, nameErr error) step {
	ur := UserReport{IdentityStoreUserID: d.IdentityStoreUserID}
	entry, managed := snap.Ledger[d.IdentityStoreUserID]
	groups, roles := sortedSet(d.Groups), sortedSet(d.Roles)

	if len(groups) == 0 {
		if managed {
			ur.DBUser = entry.DBUser
			held, exists := snap.Users[entry.DBUser]
			if ur.Revoked = intersect(entry.Roles, held); len(ur.Revoked) > 0 {
				ur.Actions = append(ur.Actions, ActionRevoked)
			}
			if exists {
				ur.Actions = append(ur.Actions, ActionDropped)
			} else {
				ur.Actions = append(ur.Actions, ActionUnchanged)
				ur.Reason = "already gone; removed from the ledger"
			}
			return step{want: ur, dropManaged: entry.DBUser}
		}
		if nameErr == nil {
			ur.DBUser = name
			if _, exists := snap.Users[name]; exists {
				return step{want: ur.skip(ErrNotManaged.Error())}
			}
		}
		return step{want: ur.unchanged()}
	}

	if nameErr != nil {
		ur.Actions, ur.Reason = []Action{ActionRefused}, nameErr.Error()
		return step{want: ur}
	}
	ur.DBUser = name
	if owner, ok := byName[name]; ok && owner != d.IdentityStoreUserID {
		ur.Actions, ur.Reason = []Action{ActionRefused}, fmt.Sprintf("%v (%s)", ErrNameConflict, owner)
		return step{want: ur}
	}
	var s step
	if managed && entry.DBUser != name {
		s.dropPrevious = entry.DBUser
		ur.Actions = append(ur.Actions, ActionDropped)
		ur.Reason = fmt.Sprintf("previous user %q dropped", entry.DBUser)
		managed, entry = false, LedgerEntry{}
	}
	held, exists := snap.Users[name]
	if exists && !managed {
		s.want = ur.skip(ErrNotManaged.Error())
		return s
	}
	// Revoke before recording the new roles: if this stops half way, the ledger still lists
	// the roles to revoke and the next run finishes the job.
	if s.revoke = intersect(minus(entry.Roles, roles), held); len(s.revoke) > 0 {
		ur.Revoked = s.revoke
		ur.Actions = append(ur.Actions, ActionRevoked)
	}
	if !exists || len(minus(roles, held)) > 0 || !sameSet(entry.Groups, groups) || !sameSet(entry.Roles, roles) {
		s.ensure = &ManagedUser{IdentityStoreUserID: d.IdentityStoreUserID, Name: name, Groups: groups, Roles: roles}
		if !exists {
			ur.Actions = append(ur.Actions, ActionCreated)
		}
		if ur.Granted = minus(roles, held); len(ur.Granted) > 0 {
			ur.Actions = append(ur.Actions, ActionGranted)
		}
	}
	if len(ur.Actions) == 0 {
		ur = ur.unchanged()
	}
	s.want = ur
	return s
}

// run executes the step's statements and reports what they did; the engine's refusals (a
// concurrent change since the snapshot) become report entries, other errors are returned.
func (s step) run(ctx context.Context, eng Engine) (UserReport, error) {
	ur := UserReport{IdentityStoreUserID: s.want.IdentityStoreUserID, DBUser: s.want.DBUser}
	if s.dropManaged != "" {
		if err := eng.DropUser(ctx, s.dropManaged); err != nil {
			return ur, engineOutcome(&ur, err)
		}
		return s.want, nil
	}
	if s.dropPrevious != "" {
		if err := eng.DropUser(ctx, s.dropPrevious); err != nil {
			return ur, fmt.Errorf("drop previous user %q: %w", s.dropPrevious, err)
		}
		ur.Actions = append(ur.Actions, ActionDropped)
		ur.Reason = fmt.Sprintf("previous user %q dropped", s.dropPrevious)
	}
	if len(s.revoke) == 0 && s.ensure == nil {
		return s.want, nil // refused, skipped or unchanged: nothing (more) to run
	}
	if len(s.revoke) > 0 {
		revoked, err := eng.RevokeRoles(ctx, ur.DBUser, s.revoke)
		if err != nil {
			return ur, engineOutcome(&ur, err)
		}
		if ur.Revoked = revoked; len(revoked) > 0 {
			ur.Actions = append(ur.Actions, ActionRevoked)
		}
	}
	if s.ensure != nil {
		res, err := eng.EnsureUser(ctx, *s.ensure)
		if err != nil {
			return ur, engineOutcome(&ur, err)
		}
		if res.Created {
			ur.Actions = append(ur.Actions, ActionCreated)
		}
		if ur.Granted = res.Granted; len(res.Granted) > 0 {
			ur.Actions = append(ur.Actions, ActionGranted)
		}
	}
	if len(ur.Actions) == 0 {
		return ur.unchanged(), nil
	}
	return ur, nil
}
