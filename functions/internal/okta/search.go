package okta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ErrBadSearchValue is returned (wrapped) for a group name or prefix that cannot be searched.
var ErrBadSearchValue = errors.New("okta: value cannot be used in a search expression")

// nameSearch builds the search expression `profile.name <op> "<value>"`. Okta's expression
// language takes string literals as JSON strings, so the value is written as one: quotes and
// backslashes escaped, nothing else changed. A value Okta cannot hold is refused first: empty,
// not UTF-8, with control characters, or with characters of four UTF-8 bytes (Okta supports
// only characters of up to three bytes).
func nameSearch(op, value string) (string, error) {
	if err := checkSearchValue(value); err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // <, > and & stay themselves, as the name has them
	if err := enc.Encode(value); err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadSearchValue, err)
	}
	return "profile.name " + op + " " + string(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

func checkSearchValue(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty", ErrBadSearchValue)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: not valid UTF-8", ErrBadSearchValue)
	}
	for _, r := range v {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("%w: control character %U", ErrBadSearchValue, r)
		case utf8.RuneLen(r) > 3:
			return fmt.Errorf("%w: character %U needs four UTF-8 bytes, which Okta does not support", ErrBadSearchValue, r)
		}
	}
	return nil
}
