package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// PolicyVersion is the only IAM policy language version accepted.
const PolicyVersion = "2012-10-17"

var reAction = regexp.MustCompile(`^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$`)

// ParsePolicyDocument checks that raw is an identity-based IAM policy document — Version
// "2012-10-17", a non-empty Statement list, each statement with Effect Allow or Deny, exactly one
// of Action/NotAction and of Resource/NotResource, and no Principal — and returns it compacted
// (the form Identity Center stores). Errors name the statement and the key.
func ParsePolicyDocument(raw []byte) (string, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return "", fmt.Errorf("not a JSON object: %v", err)
	}
	for _, k := range sortedKeys(doc) {
		if k != "Version" && k != "Id" && k != "Statement" {
			return "", fmt.Errorf("unknown top-level key %q (want Version, Statement and optionally Id)", k)
		}
	}
	var version string
	if err := json.Unmarshal(doc["Version"], &version); err != nil || version != PolicyVersion {
		return "", fmt.Errorf("Version must be %q, got %s", PolicyVersion, orMissing(doc["Version"]))
	}
	var statements []map[string]json.RawMessage
	if err := json.Unmarshal(doc["Statement"], &statements); err != nil || len(statements) == 0 {
		return "", fmt.Errorf("Statement must be a non-empty list of statement objects, got %s", orMissing(doc["Statement"]))
	}
	sids := map[string]bool{}
	for i, st := range statements {
		if err := checkStatement(st, sids); err != nil {
			return "", fmt.Errorf("Statement[%d]: %w", i, err)
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return "", err
	}
	return out.String(), nil
}

func checkStatement(st map[string]json.RawMessage, sids map[string]bool) error {
	allowed := map[string]bool{"Sid": true, "Effect": true, "Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Principal" || k == "NotPrincipal" {
			return fmt.Errorf("%s is for resource-based policies; an identity policy applies to whoever holds it", k)
		}
		if !allowed[k] {
			return fmt.Errorf("unknown key %q", k)
		}
	}
	if raw, ok := st["Sid"]; ok {
		var sid string
		if json.Unmarshal(raw, &sid) != nil || !regexp.MustCompile(`^[A-Za-z0-9]*$`).MatchString(sid) {
			return fmt.Errorf("Sid must be letters and digits, got %s", raw)
		}
		if sid != "" && sids[sid] {
			return fmt.Errorf("Sid %q is used twice", sid)
		}
		sids[sid] = true
	}
	var effect string
	if err := json.Unmarshal(st["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return fmt.Errorf("Effect must be \"Allow\" or \"Deny\", got %s", orMissing(st["Effect"]))
	}
	if err := exactlyOne(st, "Action", "NotAction", func(v string) error {
		if !reAction.MatchString(v) {
			return fmt.Errorf("%q is not service:Action (wildcards * and ? allowed) or *", v)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := exactlyOne(st, "Resource", "NotResource", func(v string) error {
		if v != "*" && !strings.HasPrefix(v, "arn:") {
			return fmt.Errorf("%q is not an ARN or *", v)
		}
		return nil
	}); err != nil {
		return err
	}
	if raw, ok := st["Condition"]; ok {
		var cond map[string]map[string]json.RawMessage
		if err := json.Unmarshal(raw, &cond); err != nil || len(cond) == 0 {
			return fmt.Errorf("Condition must be an object of operator → {key: value(s)}, got %s", raw)
		}
	}
	return nil
}

// exactlyOne checks that st has key a or key b (not both), holding a string or a non-empty list
// of strings, each accepted by check.
func exactlyOne(st map[string]json.RawMessage, a, b string, check func(string) error) error {
	ra, hasA := st[a]
	rb, hasB := st[b]
	if hasA == hasB {
		return fmt.Errorf("must have exactly one of %s and %s", a, b)
	}
	key, raw := a, ra
	if hasB {
		key, raw = b, rb
	}
	var values []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		values = []string{one}
	} else if err := json.Unmarshal(raw, &values); err != nil || len(values) == 0 {
		return fmt.Errorf("%s must be a string or a non-empty list of strings, got %s", key, raw)
	}
	var errs []error
	for _, v := range values {
		if err := check(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

func orMissing(raw json.RawMessage) string {
	if raw == nil {
		return "nothing (missing)"
	}
	return string(raw)
}
