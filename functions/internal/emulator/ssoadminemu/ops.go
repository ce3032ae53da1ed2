package ssoadminemu

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

var (
	reAccount   = regexp.MustCompile(`^\d{12}$`)
	rePrincipal = regexp.MustCompile(`^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$`)
)

// MaxOutstandingCreations is how many CreateAccountAssignment operations may be IN_PROGRESS at
// once; one more is refused with ThrottlingException.
const MaxOutstandingCreations = 10

type assignmentRequest struct {
	InstanceArn      string
	PermissionSetArn string
	PrincipalId      string
	PrincipalType    string
	TargetId         string
	TargetType       string
}

func (s *Server) parseAssignment(body []byte) (Assignment, *apiError) {
	var in assignmentRequest
	if e := decode(body, &in); e != nil {
		return Assignment{}, e
	}
	switch {
	case in.TargetType != "AWS_ACCOUNT":
		return Assignment{}, validation("TargetType must be AWS_ACCOUNT, got %q", in.TargetType)
	case !reAccount.MatchString(in.TargetId):
		return Assignment{}, validation("TargetId must be a 12-digit account id, got %q", in.TargetId)
	case in.PrincipalType != "USER" && in.PrincipalType != "GROUP":
		return Assignment{}, validation("PrincipalType must be USER or GROUP, got %q", in.PrincipalType)
	case !rePrincipal.MatchString(in.PrincipalId):
		return Assignment{}, validation("PrincipalId must be an identity store user or group id, got %q", in.PrincipalId)
	}
	if s.permissionSets[in.PermissionSetArn] == nil {
		return Assignment{}, notFound("Could not find PermissionSet with ARN %s", in.PermissionSetArn)
	}
	return Assignment{AccountID: in.TargetId, PermissionSetArn: in.PermissionSetArn, PrincipalType: in.PrincipalType, PrincipalID: in.PrincipalId}, nil
}

// inProgress reports whether an operation on a is still running. Callers hold s.mu.
func (s *Server) inProgress(a Assignment) bool {
	for _, op := range s.requests {
		if op.A == a && op.Status == "IN_PROGRESS" {
			return true
		}
	}
	return false
}

// outstandingCreations counts the creations still IN_PROGRESS. Callers hold s.mu.
func (s *Server) outstandingCreations() int {
	n := 0
	for _, op := range s.requests {
		if !op.Delete && op.Status == "IN_PROGRESS" {
			n++
		}
	}
	return n
}

func (s *Server) start(a Assignment, del bool) (*operation, *apiError) {
	if s.inProgress(a) {
		return nil, &apiError{Type: "ConflictException", Message: "An operation on this account assignment is already in progress"}
	}
	if !del && s.outstandingCreations() >= MaxOutstandingCreations {
		return nil, &apiError{Type: "ThrottlingException", Message: "There are too many requests processing. Please try again later."}
	}
	op := &operation{ID: newID(), Delete: del, A: a, Status: "IN_PROGRESS", Created: time.Now().UTC()}
	if !del && len(s.failNext) > 0 {
		op.Reason, s.failNext = s.failNext[0], s.failNext[1:]
	}
	if !del && op.Reason == "" && !s.accounts[a.AccountID] {
		op.Reason = fmt.Sprintf("Account %s is not a member of the organization", a.AccountID)
	}
	s.requests[op.ID] = op
	return op, nil
}

func (s *Server) createAssignment(body []byte) (any, *apiError) {
	a, e := s.parseAssignment(body)
	if e != nil {
		return nil, e
	}
	op, e := s.start(a, false)
	if e != nil {
		return nil, e
	}
	return map[string]any{"AccountAssignmentCreationStatus": op.status()}, nil
}

func (s *Server) deleteAssignment(body []byte) (any, *apiError) {
	a, e := s.parseAssignment(body)
	if e != nil {
		return nil, e
	}
	if !s.assignments[a] {
		return nil, notFound("The account assignment does not exist")
	}
	op, e := s.start(a, true)
	if e != nil {
		return nil, e
	}
	return map[string]any{"AccountAssignmentDeletionStatus": op.status()}, nil
}

func (s *Server) describe(body []byte, del bool) (*operation, *apiError) {
	var in struct{ AccountAssignmentCreationRequestId, AccountAssignmentDeletionRequestId string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	id := in.AccountAssignmentCreationRequestId
	if del {
		id = in.AccountAssignmentDeletionRequestId
	}
	op := s.requests[id]
	if op == nil || op.Delete != del {
		return nil, notFound("Could not find the request %s", id)
	}
	if op.Status == "IN_PROGRESS" {
		op.Polls++
		if op.Polls >= s.pollsToFinish {
			s.finish(op)
		}
	}
	return op, nil
}

// finish completes op: the assignment appears (or disappears) only now. Callers hold s.mu.
func (s *Server) finish(op *operation) {
	if op.Reason != "" {
		op.Status = "FAILED"
		return
	}
	op.Status = "SUCCEEDED"
	if op.Delete {
		delete(s.assignments, op.A)
	} else {
		s.assignments[op.A] = true
	}
}

func (s *Server) describeCreation(body []byte) (any, *apiError) {
	op, e := s.describe(body, false)
	if e != nil {
		return nil, e
	}
	return map[string]any{"AccountAssignmentCreationStatus": op.status()}, nil
}

func (s *Server) describeDeletion(body []byte) (any, *apiError) {
	op, e := s.describe(body, true)
	if e != nil {
		return nil, e
	}
	return map[string]any{"AccountAssignmentDeletionStatus": op.status()}, nil
}

func (op *operation) status() map[string]any {
	m := map[string]any{
		"CreatedDate": float64(op.Created.UnixMilli()) / 1000, "PermissionSetArn": op.A.PermissionSetArn,
		"PrincipalId": op.A.PrincipalID, "PrincipalType": op.A.PrincipalType, "RequestId": op.ID,
		"Status": op.Status, "TargetId": op.A.AccountID, "TargetType": "AWS_ACCOUNT",
	}
	if op.Status == "FAILED" {
		m["FailureReason"] = op.Reason
	}
	return m
}

func (s *Server) listAssignments(body []byte) (any, *apiError) {
	var in struct {
		AccountId, PermissionSetArn, NextToken string
		MaxResults                             *int32
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if !reAccount.MatchString(in.AccountId) {
		return nil, validation("AccountId must be a 12-digit account id, got %q", in.AccountId)
	}
	if s.permissionSets[in.PermissionSetArn] == nil {
		return nil, notFound("Could not find PermissionSet with ARN %s", in.PermissionSetArn)
	}
	var items []map[string]any
	for _, a := range s.sortedAssignments() {
		if a.AccountID == in.AccountId && a.PermissionSetArn == in.PermissionSetArn {
			items = append(items, map[string]any{"AccountId": a.AccountID, "PermissionSetArn": a.PermissionSetArn, "PrincipalId": a.PrincipalID, "PrincipalType": a.PrincipalType})
		}
	}
	got, next, e := page(items, in.NextToken, in.MaxResults)
	if e != nil {
		return nil, e
	}
	return map[string]any{"AccountAssignments": orEmpty(got), "NextToken": next}, nil
}

func (s *Server) describePermissionSet(body []byte) (any, *apiError) {
	var in struct{ PermissionSetArn string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	ps := s.permissionSets[in.PermissionSetArn]
	if ps == nil {
		return nil, notFound("Could not find PermissionSet with ARN %s", in.PermissionSetArn)
	}
	return map[string]any{"PermissionSet": map[string]any{
		"Name": ps.Name, "Description": ps.Description, "PermissionSetArn": ps.Arn,
		"SessionDuration": ps.SessionDuration, "CreatedDate": float64(ps.Created.Unix()),
	}}, nil
}

func (s *Server) listPermissionSets(body []byte) (any, *apiError) {
	var in struct {
		NextToken  string
		MaxResults *int32
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	got, next, e := page(s.psOrder, in.NextToken, in.MaxResults)
	if e != nil {
		return nil, e
	}
	return map[string]any{"PermissionSets": orEmpty(got), "NextToken": next}, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) sortedAssignments() []Assignment {
	out := make([]Assignment, 0, len(s.assignments))
	for a := range s.assignments {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y Assignment) int {
		return cmpStrings(x.AccountID+x.PermissionSetArn+x.PrincipalType+x.PrincipalID, y.AccountID+y.PermissionSetArn+y.PrincipalType+y.PrincipalID)
	})
	return out
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
