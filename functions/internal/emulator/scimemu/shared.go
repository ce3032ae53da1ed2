package scimemu

import (
	"sync"
	"time"
)

// Peer is another view of the same directory, such as the identity store emulator: in AWS the
// SCIM endpoint and the identity store API read and write one store. Its methods are called
// with the shared lock held and must not take it.
type Peer interface {
	PutUser(id, userName, displayName, externalID string)
	DeleteUser(id string)
	PutGroup(id, displayName string)
	DeleteGroup(id string)
	ChangeMembers(groupID string, add, remove []string)
}

// Share joins the tenant to a peer directory before it serves any request: both use the lock
// mu, every change made here (through SCIM or the seeding helpers) is mirrored into peer, and
// the returned Peer applies the peer's own changes to this tenant without mirroring them back.
// Ids are kept as given, so a user or group has the same id in both views.
func (e *Emulator) Share(mu *sync.Mutex, peer Peer) Peer {
	e.mu.Lock()
	e.peer = peer
	e.mu.Unlock()
	e.mu = mu
	return applier{e}
}

func (e *Emulator) mirrorUser(u *user) {
	if e.peer != nil {
		e.peer.PutUser(u.id, u.userName, u.display, u.externalID)
	}
}

func (e *Emulator) mirrorGroup(g *group) {
	if e.peer != nil {
		e.peer.PutGroup(g.id, g.displayName)
	}
}

func (e *Emulator) mirrorMembers(groupID string, add, remove []string) {
	if e.peer != nil && len(add)+len(remove) > 0 {
		e.peer.ChangeMembers(groupID, add, remove)
	}
}

// applier applies a peer's changes; the shared lock is held by the caller.
type applier struct{ e *Emulator }

func (a applier) PutUser(id, userName, displayName, externalID string) {
	if u, ok := a.e.users[id]; ok {
		u.userName, u.display = userName, displayName
		return
	}
	if displayName == "" {
		displayName = userName
	}
	a.e.seq++
	a.e.users[id] = &user{seq: a.e.seq, id: id, userName: userName, externalID: externalID, display: displayName,
		givenName: displayName, familyName: "-", active: true, created: time.Now().UTC()}
}

func (a applier) DeleteUser(id string) {
	delete(a.e.users, id)
	for _, g := range a.e.groups {
		delete(g.members, id)
	}
}

func (a applier) PutGroup(id, displayName string) {
	if g, ok := a.e.groups[id]; ok {
		g.displayName = displayName
		return
	}
	a.e.seq++
	a.e.groups[id] = &group{seq: a.e.seq, id: id, displayName: displayName, members: map[string]struct{}{}, created: time.Now().UTC()}
}

func (a applier) DeleteGroup(id string) { delete(a.e.groups, id) }

func (a applier) ChangeMembers(groupID string, add, remove []string) {
	g, ok := a.e.groups[groupID]
	if !ok {
		return
	}
	for _, u := range add {
		g.members[u] = struct{}{}
	}
	for _, u := range remove {
		delete(g.members, u)
	}
}
