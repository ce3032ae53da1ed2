package idstoreemu

import (
	"sync"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/scimemu"
)

// NewShared returns an identity store and a SCIM tenant that are one directory, as in AWS:
// a user, group or membership written through either API (or either emulator's seeding
// helpers) is seen by both, with the same ids, under one lock.
func NewShared(storeID, scimToken string) (*Server, *scimemu.Emulator) {
	s := New(storeID)
	e := scimemu.New(scimToken)
	mu := new(sync.Mutex)
	s.peer = e.Share(mu, applier{s})
	s.mu = mu
	return s, e
}

func (s *Server) link(m *membership) {
	s.memberships[m.ID] = m
	s.pairs[m.GroupID+"/"+m.UserID] = m
}

func (s *Server) unlink(m *membership) {
	delete(s.memberships, m.ID)
	delete(s.pairs, m.GroupID+"/"+m.UserID)
}

func (s *Server) mirrorMembers(groupID string, add, remove []string) {
	if s.peer != nil {
		s.peer.ChangeMembers(groupID, add, remove)
	}
}

// applier applies changes made through SCIM; the shared lock is held by the caller.
type applier struct{ s *Server }

func (a applier) PutUser(id, userName, displayName, _ string) {
	if u, ok := a.s.users[id]; ok {
		u.UserName, u.DisplayName = userName, displayName
		return
	}
	a.s.users[id] = &user{ID: id, UserName: userName, DisplayName: displayName}
}

func (a applier) DeleteUser(id string) {
	delete(a.s.users, id)
	for _, m := range a.s.memberships {
		if m.UserID == id {
			a.s.unlink(m)
		}
	}
}

func (a applier) PutGroup(id, displayName string) {
	if g, ok := a.s.groups[id]; ok {
		g.DisplayName = displayName
		return
	}
	a.s.groups[id] = &group{ID: id, DisplayName: displayName}
}

func (a applier) DeleteGroup(id string) {
	delete(a.s.groups, id)
	for _, m := range a.s.memberships {
		if m.GroupID == id {
			a.s.unlink(m)
		}
	}
}

func (a applier) ChangeMembers(groupID string, add, remove []string) {
	for _, u := range add {
		if a.s.findMembership(groupID, u) == nil {
			a.s.link(&membership{ID: newID(), GroupID: groupID, UserID: u})
		}
	}
	for _, u := range remove {
		if m := a.s.findMembership(groupID, u); m != nil {
			a.s.unlink(m)
		}
	}
}
