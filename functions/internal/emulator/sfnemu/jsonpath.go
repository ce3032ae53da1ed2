package sfnemu

import (
	"fmt"
	"strings"
)

// The reference paths a redrive of a Map state evaluates itself (ItemsPath, ResultPath,
// OutputPath), in the only form ssoflow's definitions use: "$" or "$.a.b". Anything else is
// refused, so a definition the emulator cannot redrive faithfully fails loudly instead of
// being redriven wrongly.

func pathFields(path string) ([]string, error) {
	if path == "$" {
		return nil, nil
	}
	if !strings.HasPrefix(path, "$.") {
		return nil, fmt.Errorf("path %q: the emulator's redrive evaluates only $ and $.field.field paths", path)
	}
	fields := strings.Split(path[2:], ".")
	for _, f := range fields {
		if f == "" || strings.ContainsAny(f, "[]*'\"@() ") {
			return nil, fmt.Errorf("path %q: the emulator's redrive evaluates only $ and $.field.field paths", path)
		}
	}
	return fields, nil
}

// getPath reads path from doc.
func getPath(doc any, path string) (any, error) {
	fields, err := pathFields(path)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("path %q: %s is not an object", path, f)
		}
		if cur, ok = m[f]; !ok {
			return nil, fmt.Errorf("path %q: no field %s", path, f)
		}
	}
	return cur, nil
}

// setPath returns doc with v at path, as a ResultPath places a result: "$" replaces the whole
// input, and missing objects on the way are created.
func setPath(doc any, path string, v any) (any, error) {
	fields, err := pathFields(path)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return v, nil
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("ResultPath %q: the state input is not an object", path)
	}
	cur := root
	for _, f := range fields[:len(fields)-1] {
		next, ok := cur[f].(map[string]any)
		if !ok {
			if _, exists := cur[f]; exists {
				return nil, fmt.Errorf("ResultPath %q: %s is not an object", path, f)
			}
			next = map[string]any{}
			cur[f] = next
		}
		cur = next
	}
	cur[fields[len(fields)-1]] = v
	return root, nil
}
