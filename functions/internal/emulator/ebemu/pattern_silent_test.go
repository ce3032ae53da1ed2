package ebemu_test

import "testing"

// silent marks behaviours the EventBridge User Guide does not state; the emulator's choice is
// written in FIDELITY.md with what it follows.
const silent = "documentation silent: see FIDELITY.md"

// TestUndocumentedMatchingChoices pins what the emulator does where the documentation is silent,
// next to the documented rules the choices extend.
func TestUndocumentedMatchingChoices(t *testing.T) {
	runMatchCases(t, []matchCase{
		// Absent fields: "the event must contain all the field names listed in the event pattern".
		{"anything-but needs the field", docSyntax, `{"s":[{"anything-but":"x"}]}`, `{}`, false},
		{"numeric needs the field", docSyntax, `{"n":[{"numeric":[">",0]}]}`, `{"m":1}`, false},
		{"exists false under an absent parent", silent, `{"detail":{"x":[{"exists":false}]}}`, `{"source":"a"}`, true},
		{"exists false under a scalar parent", silent, `{"detail":{"x":[{"exists":false}]}}`, `{"detail":"text"}`, true},
		{"nested pattern against a scalar", silent, `{"detail":{"x":["a"]}}`, `{"detail":"a"}`, false},
		// Null, empty arrays and objects at a leaf.
		{"exists true on null", silent, `{"s":[{"exists":true}]}`, `{"s":null}`, true},
		{"exists true on an empty array", silent, `{"s":[{"exists":true}]}`, `{"s":[]}`, false},
		{"exists false on an empty array", silent, `{"s":[{"exists":false}]}`, `{"s":[]}`, true},
		{"value against an object", docFiltering, `{"s":["x"]}`, `{"s":{"a":"x"}}`, false},
		{"exists true on an object", docFiltering, `{"s":[{"exists":true}]}`, `{"s":{"a":"x"}}`, false},
		// JSON types: "The values that event patterns match follow JSON rules".
		{"number pattern, string value", docSyntax, `{"n":[5]}`, `{"n":"5"}`, false},
		{"string pattern, number value", docSyntax, `{"n":["5"]}`, `{"n":5}`, false},
		{"boolean", docSyntax, `{"b":[true]}`, `{"b":true}`, true},
		{"boolean pattern, string value", docSyntax, `{"b":[true]}`, `{"b":"true"}`, false},
		{"prefix only on strings", docFiltering, `{"n":[{"prefix":"1"}]}`, `{"n":10}`, false},
		{"numeric only on numbers", docFiltering, `{"n":[{"numeric":["=",5]}]}`, `{"n":"5"}`, false},
		{"numeric beyond the limit in the event", silent, `{"n":[{"numeric":[">",0]}]}`, `{"n":6e9}`, false},
		{"equals-ignore-case only on strings", silent, `{"n":[{"equals-ignore-case":"5"}]}`, `{"n":5}`, false},
		// anything-but against other types and arrays.
		{"anything-but string, number value", silent, `{"s":[{"anything-but":"x"}]}`, `{"s":5}`, true},
		{"anything-but string, null value", silent, `{"s":[{"anything-but":"x"}]}`, `{"s":null}`, true},
		{"anything-but number compares numerically", silent, `{"n":[{"anything-but":[100]}]}`, `{"n":100.0}`, false},
		{"anything-but number, string value", silent, `{"n":[{"anything-but":[100]}]}`, `{"n":"100"}`, true},
		{"anything-but prefix, number value", silent, `{"s":[{"anything-but":{"prefix":"1"}}]}`, `{"s":5}`, false},
		{"anything-but over an event array", docArrays, `{"s":[{"anything-but":"a"}]}`, `{"s":["a","b"]}`, true},
		{"anything-but over an event array, all excluded", docArrays, `{"s":[{"anything-but":"a"}]}`, `{"s":["a","a"]}`, false},
		// Arrays in the event.
		{"value among mixed elements", silent, `{"s":["x"]}`, `{"s":[{"a":1},"x"]}`, true},
		{"value in a nested array", silent, `{"s":["x"]}`, `{"s":[["y"],["x"]]}`, true},
		{"$or inside array elements", silent, `{"e":{"$or":[{"a":["1"]},{"b":["2"]}]}}`, `{"e":[{"a":"0"},{"b":"2"}]}`, true},
		// Pattern structure.
		{"repeated nested object: merged", silent, `{"d":{"a":["1"]},"d":{"b":["2"]}}`, `{"d":{"a":"1","b":"3"}}`, false},
		{"repeated nested object: both hold", silent, `{"d":{"a":["1"]},"d":{"b":["2"]}}`, `{"d":{"a":"1","b":"2"}}`, true},
		{"two $or at one level: both hold", silent, `{"$or":[{"a":["1"]},{"b":["1"]}],"$or":[{"c":["1"]},{"d":["1"]}]}`, `{"a":"1","e":"1"}`, false},
		{"repeated key in the event: the last", silent, `{"s":["a"]}`, `{"s":"a","s":"b"}`, false},
		// Operators.
		{"wildcard: escaped star", docRuler, `{"s":[{"wildcard":"a\\*"}]}`, `{"s":"a*"}`, true},
		{"wildcard: escaped star is literal", docRuler, `{"s":[{"wildcard":"a\\*"}]}`, `{"s":"ab"}`, false},
		{"wildcard: escaped backslash", docRuler, `{"s":[{"wildcard":"a\\\\*"}]}`, `{"s":"a\\bc"}`, true},
		{"wildcard: star matches nothing", docRuler, `{"s":[{"wildcard":"a*b"}]}`, `{"s":"ab"}`, true},
		{"wildcard: parts in order", docRuler, `{"s":[{"wildcard":"*a*b*"}]}`, `{"s":"xbxa"}`, false},
		{"equals-ignore-case beyond ASCII", silent, `{"s":[{"equals-ignore-case":"ÄRGER"}]}`, `{"s":"ärger"}`, true},
		{"prefix ignore case beyond ASCII", silent, `{"s":[{"prefix":{"equals-ignore-case":"ÉTÉ"}}]}`, `{"s":"été 2026"}`, true},
		{"cidr IPv6", docFiltering, `{"ip":[{"cidr":"2001:db8::/32"}]}`, `{"ip":"2001:db8::1"}`, true},
		{"cidr on a non-address", docRuler, `{"ip":[{"cidr":"10.0.0.0/24"}]}`, `{"ip":"not-an-ip"}`, false},
	})
}
