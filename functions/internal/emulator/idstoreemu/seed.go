package idstoreemu

import (
	"fmt"
	"slices"
)

// UserSpec describes a user to seed with AddUser.
type UserSpec struct {
	UserName    string
	DisplayName string
	Email       string // becomes the primary work e-mail when set
	Name        *Name
}

// AddUser seeds a user and returns its id. It fails when the user name is empty or taken.
func (s *Server) AddUser(u UserSpec) (string, error) {
	var emails []Email
	if u.Email != "" {
		emails = []Email{{Value: u.Email, Type: "work", Primary: true}}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	nu, e := s.addUser(u.UserName, u.DisplayName, emails, u.Name)
	if e != nil {
		return "", e
	}
	return nu.ID, nil
}

// AddGroup seeds a group and returns its id. It fails when the name is empty or taken.
func (s *Server) AddGroup(displayName string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, e := s.addGroup(displayName)
	if e != nil {
		return "", e
	}
	return g.ID, nil
}

// AddMember makes user userID a member of group groupID and returns the membership id. It
// fails when either does not exist or the membership already does.
func (s *Server) AddMember(groupID, userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, e := s.addMember(groupID, userID)
	if e != nil {
		return "", e
	}
	return m.ID, nil
}

// RemoveMember removes user userID from group groupID and reports whether it was a member.
func (s *Server) RemoveMember(groupID, userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.findMembership(groupID, userID)
	if m == nil {
		return false
	}
	s.unlink(m)
	s.mirrorMembers(groupID, nil, []string{userID})
	return true
}

// RemoveUser deletes a user and its memberships, as DeleteUser does, and reports whether it
// existed.
func (s *Server) RemoveUser(userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removeUser(userID)
}

// Members returns the sorted user ids of the members of group groupID.
func (s *Server) Members(groupID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, m := range s.memberships {
		if m.GroupID == groupID {
			ids = append(ids, m.UserID)
		}
	}
	slices.Sort(ids)
	return ids
}

// The helpers below are shared by the seeding methods and the operations; callers hold s.mu.

func (s *Server) addUser(userName, displayName string, emails []Email, name *Name) (*user, *apiError) {
	if userName == "" {
		return nil, validation("UserName is required")
	}
	for _, u := range s.users {
		if u.UserName == userName {
			return nil, conflict("a user named %q already exists", userName)
		}
	}
	u := &user{ID: newID(), UserName: userName, DisplayName: displayName, Emails: slices.Clone(emails), Name: name}
	s.users[u.ID] = u
	if s.peer != nil {
		s.peer.PutUser(u.ID, u.UserName, u.DisplayName, "")
	}
	return u, nil
}

func (s *Server) addGroup(displayName string) (*group, *apiError) {
	if displayName == "" {
		return nil, validation("DisplayName is required")
	}
	for _, g := range s.groups {
		if g.DisplayName == displayName {
			return nil, conflict("a group named %q already exists", displayName)
		}
	}
	g := &group{ID: newID(), DisplayName: displayName}
	s.groups[g.ID] = g
	if s.peer != nil {
		s.peer.PutGroup(g.ID, g.DisplayName)
	}
	return g, nil
}

func (s *Server) addMember(groupID, userID string) (*membership, *apiError) {
	if _, ok := s.groups[groupID]; !ok {
		return nil, notFound("GROUP", groupID)
	}
	if _, ok := s.users[userID]; !ok {
		return nil, notFound("USER", userID)
	}
	if s.findMembership(groupID, userID) != nil {
		return nil, conflict("user %s is already a member of group %s", userID, groupID)
	}
	m := &membership{ID: newID(), GroupID: groupID, UserID: userID}
	s.link(m)
	s.mirrorMembers(groupID, []string{userID}, nil)
	return m, nil
}

func (s *Server) removeUser(userID string) bool {
	if _, ok := s.users[userID]; !ok {
		return false
	}
	delete(s.users, userID)
	for _, m := range s.memberships {
		if m.UserID == userID {
			s.unlink(m)
		}
	}
	if s.peer != nil {
		s.peer.DeleteUser(userID)
	}
	return true
}

// String describes the store's size, for test failure messages.
func (s *Server) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("idstoreemu %s: %d users, %d groups, %d memberships",
		s.storeID, len(s.users), len(s.groups), len(s.memberships))
}
