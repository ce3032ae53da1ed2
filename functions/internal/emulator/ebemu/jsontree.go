package ebemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxNesting bounds the depth of a pattern the emulator reads. It is the emulator's guard
// against unbounded recursion, not an EventBridge limit (EventBridge bounds a pattern by its
// length, maxPatternLength).
const maxNesting = 200

// nodeKind is the JSON type of a node.
type nodeKind int

const (
	nodeObject nodeKind = iota
	nodeArray
	nodeString
	nodeNumber
	nodeBool
	nodeNull
)

// node is a JSON value as written: object members keep their order and duplicates (EventBridge
// uses the last of duplicate keys), numbers keep their text (EventBridge compares numbers in
// exact-value matching by their text).
type node struct {
	kind nodeKind
	text string // string value, or the number as written
	b    bool
	arr  []*node
	keys []string
	vals []*node
}

// parseTree reads one JSON value and nothing after it.
func parseTree(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readNode(dec, 0)
	if errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected end of JSON input")
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return n, nil
}

func readNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("nested deeper than %d levels", maxNesting)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: nodeObject}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := k.(string) // the decoder only yields strings as object keys
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys, n.vals = append(n.keys, key), append(n.vals, v)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &node{kind: nodeArray}
			for dec.More() {
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case string:
		return &node{kind: nodeString, text: t}, nil
	case json.Number:
		return &node{kind: nodeNumber, text: t.String()}, nil
	case bool:
		return &node{kind: nodeBool, b: t}, nil
	case nil:
		return &node{kind: nodeNull}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// describe names a node's JSON type for error messages.
func (n *node) describe() string {
	switch n.kind {
	case nodeObject:
		return "an object"
	case nodeArray:
		return "an array"
	case nodeString:
		return fmt.Sprintf("the string %q", n.text)
	case nodeNumber:
		return "the number " + n.text
	case nodeBool:
		return fmt.Sprintf("%t", n.b)
	}
	return "null"
}
