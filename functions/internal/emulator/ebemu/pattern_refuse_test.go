package ebemu_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// Sources of refusals: EventBridge's own answers quoted in public issues, the API reference,
// and event-ruler's rule compiler (whose messages those answers carry).
const (
	srcEmptyObject = "EventBridge answer quoted in cloud-custodian/cloud-custodian#6507 — https://github.com/cloud-custodian/cloud-custodian/issues/6507"
	srcNotArray    = "EventBridge answer quoted in buildkite/docs#896 — https://github.com/buildkite/docs/pull/896"
	srcSuffix      = "EventBridge answer quoted in aws/aws-cdk#32492 — https://github.com/aws/aws-cdk/issues/32492"
	srcCompiler    = "event-ruler JsonRuleCompiler — https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/JsonRuleCompiler.java"
	srcTestPattern = "TestEventPattern (API reference: EventPattern maximum length 4096) — https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html"
	srcOrLimit     = docFiltering + " ($or: over 1000 rule combinations is an InvalidEventPatternException)"
	srcNumericDoc  = docFiltering + " (numeric matching limited to -5.0e9..+5.0e9)"
	srcSinglePref  = docFiltering + " (anything-but matching only works with a single prefix, not a list)"
	srcWildcard    = docRuler + " (consecutive wildcard characters are not allowed; only * and \\ may be escaped)"
)

// TestRefusedPatterns pins the patterns EventBridge refuses with InvalidEventPatternException,
// and the reason it gives.
func TestRefusedPatterns(t *testing.T) {
	manyOrs := `{"a":{"$or":[{"x":["1"]},{"y":["1"]},{"z":["1"]},{"w":["1"]},{"v":["1"]},{"u":["1"]},{"t":["1"]},{"s":["1"]},{"r":["1"]},{"q":["1"]},{"p":["1"]}]},` +
		`"b":{"$or":[{"x":["1"]},{"y":["1"]},{"z":["1"]},{"w":["1"]},{"v":["1"]},{"u":["1"]},{"t":["1"]},{"s":["1"]},{"r":["1"]},{"q":["1"]}]},` +
		`"c":{"$or":[{"x":["1"]},{"y":["1"]},{"z":["1"]},{"w":["1"]},{"v":["1"]},{"u":["1"]},{"t":["1"]},{"s":["1"]},{"r":["1"]},{"q":["1"]}]}}`
	cases := []struct{ name, source, pattern, reason string }{
		{"empty pattern", srcEmptyObject, `{}`, "Empty objects are not allowed"},
		{"empty nested object", srcEmptyObject, `{"source":["aws.health"],"detail":{}}`, "Empty objects are not allowed"},
		{"leaf that is not an array", srcNotArray, `{"detail-type":["Build Started"],"detail":{"pipeline":{"slug":"some-pipeline"}}}`, `"slug" must be an object or an array`},
		{"leaf that is a number", srcNotArray, `{"detail":{"n":5}}`, `"n" must be an object or an array`},
		{"suffix given a list", srcSuffix, `{"detail":{"matchSuffix":[{"suffix":[":created"]}]}}`, "suffix match pattern must be a string"},
		{"not an object", srcCompiler, `["aws.ec2"]`, "Filter is not an object"},
		{"malformed JSON", srcCompiler, `{"source": ["aws.ec2"]`, "unexpected end of JSON input"},
		{"not UTF-8", "RFC 8259 §8.1 (JSON exchanged between systems must be UTF-8) — https://www.rfc-editor.org/rfc/rfc8259#section-8.1", "{\"s\":[\"\xc7\"]}", "not UTF-8 text"},
		{"trailing data", srcCompiler, `{"source":["a"]} {}`, "unexpected data after the JSON value"},
		{"empty array", srcCompiler, `{"source":[]}`, "Empty arrays are not allowed"},
		{"array in array", srcCompiler, `{"source":[["a"]]}`, "Match value must be String, number, true, false, or null"},
		{"unknown operator", srcCompiler, `{"source":[{"contains":"ec2"}]}`, "Unrecognized match type contains"},
		{"empty match expression", srcCompiler, `{"source":[{}]}`, "Match expression name not found"},
		{"two operators in one expression", srcCompiler, `{"source":[{"prefix":"a","suffix":"b"}]}`, "Only one key allowed in match expression"},
		{"prefix of a number", srcCompiler, `{"source":[{"prefix":1}]}`, "prefix match pattern must be a string"},
		{"equals-ignore-case of a list", srcCompiler, `{"source":[{"equals-ignore-case":["a"]}]}`, "equals-ignore-case match pattern must be a string"},
		{"exists with a string", srcCompiler, `{"source":[{"exists":"true"}]}`, "exists match pattern must be either true or false."},
		{"numeric not an array", srcCompiler, `{"n":[{"numeric":">"}]}`, "Value of numeric must be an array."},
		{"numeric empty", srcCompiler, `{"n":[{"numeric":[]}]}`, "Invalid member in numeric match"},
		{"numeric unknown operator", srcCompiler, `{"n":[{"numeric":["!=",1]}]}`, "Unrecognized numeric range operator: !="},
		{"numeric string operand", srcCompiler, `{"n":[{"numeric":[">","1"]}]}`, "Value of > must be numeric"},
		{"numeric equals with a range", srcCompiler, `{"n":[{"numeric":["=",1,"<",2]}]}`, "Too many elements in numeric expression"},
		{"numeric upper bound first", srcCompiler, `{"n":[{"numeric":["<",1,">",0]}]}`, "Too many elements in numeric expression"},
		{"numeric bad second operator", srcCompiler, `{"n":[{"numeric":[">",1,">=",2]}]}`, "Bad numeric range operator: >="},
		{"numeric too many terms", srcCompiler, `{"n":[{"numeric":[">",1,"<",2,"<",3]}]}`, "Too many terms in numeric range expression"},
		{"numeric beyond 5e9", srcNumericDoc, `{"n":[{"numeric":[">",5000000001]}]}`, "Value must be between -5.0E9 and 5.0E9, inclusive"},
		{"anything-but null", srcCompiler, `{"s":[{"anything-but":null}]}`, "Value of anything-but must be an array or single string/number value."},
		{"anything-but mixed list", srcCompiler, `{"s":[{"anything-but":["a",1]}]}`, "either all values are number or string"},
		{"anything-but empty list", srcCompiler, `{"s":[{"anything-but":[]}]}`, "either all values are number or string"},
		{"anything-but list with null", srcCompiler, `{"s":[{"anything-but":["a",null]}]}`, "Inside anything but list, start|null|boolean is not supported."},
		{"anything-but prefix list", srcSinglePref, `{"s":[{"anything-but":{"prefix":["a","b"]}}]}`, "prefix/suffix match pattern must be a string"},
		{"anything-but empty prefix", srcCompiler, `{"s":[{"anything-but":{"prefix":""}}]}`, "Null prefix/suffix not allowed"},
		{"anything-but unknown operator", srcCompiler, `{"s":[{"anything-but":{"numeric":[">",1]}}]}`, "Unsupported anything-but pattern: numeric"},
		{"anything-but two operators", srcCompiler, `{"s":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, "Only one key allowed in match expression"},
		{"wildcard consecutive stars", srcWildcard, `{"s":[{"wildcard":"a**b"}]}`, "Consecutive wildcard characters"},
		{"wildcard bad escape", srcWildcard, `{"s":[{"wildcard":"a\\b"}]}`, "Invalid escape character"},
		{"wildcard trailing backslash", srcWildcard, `{"s":[{"wildcard":"a\\"}]}`, "Invalid escape character"},
		{"cidr not a prefix", srcCompiler, `{"ip":[{"cidr":"10.0.0.300/8"}]}`, "Nonstandard IP address"},
		{"$or not an array", srcCompiler, `{"$or":{"a":["1"]}}`, "It must be an Array followed with $or."},
		{"$or with one object", srcCompiler, `{"$or":[{"a":["1"]}]}`, "There must have at least 2 Objects in $or relationship."},
		{"$or with a value", srcCompiler, `{"$or":[{"a":["1"]},"b"]}`, "Only JSON object is allowed in array of $or relationship."},
		{"operator name as field inside $or", srcCompiler, `{"$or":[{"prefix":["a"]},{"b":["1"]}]}`, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
		{"over 1000 $or combinations", srcOrLimit, manyOrs, "results in over 1000 rule combinations"},
		{"longer than 4096 characters", srcTestPattern, `{"source":["` + strings.Repeat("a", 4090) + `"]}`, "over the maximum of 4096"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ebemu.ParsePattern(json.RawMessage(c.pattern))
			var refused *ebemu.InvalidPatternError
			if !errors.As(err, &refused) {
				t.Fatalf("ParsePattern(%s) = %v, want an InvalidPatternError (source: %s)", c.pattern, err, c.source)
			}
			if !strings.Contains(refused.Reason, c.reason) {
				t.Errorf("reason %q, want it to contain %q (source: %s)", refused.Reason, c.reason, c.source)
			}
			if !strings.HasPrefix(err.Error(), "InvalidEventPatternException: Event pattern is not valid. Reason: ") {
				t.Errorf("error %q does not read as EventBridge's", err)
			}
		})
	}
}

// TestAcceptedEdgePatterns pins patterns at the edge of what is accepted.
func TestAcceptedEdgePatterns(t *testing.T) {
	for _, p := range []string{
		`{"$or":[{"a":["1"]},{"b":["1"]}]}`,                        // two alternatives: the minimum
		`{"n":[{"numeric":[">=",-5e9,"<=",5e9]}]}`,                 // the documented limits, inclusive
		`{"s":[{"wildcard":"a\\*b\\\\c*"}]}`,                       // escaped star and backslash
		`{"s":[{"anything-but":{"wildcard":["*/lib/*","*.so"]}}]}`, // a list of wildcards
		`{"s":[{"anything-but":{"equals-ignore-case":["a","B"]}}]}`,
		`{"s":[{"exists":true},"x",1,true,null]}`,
		`{"source":["` + strings.Repeat("a", 4080) + `"]}`, // 4096 characters
		`{"a":{"$or":[{"x":["1"]},{"y":["1"]},{"z":["1"]},{"w":["1"]},{"v":["1"]},{"u":["1"]},{"t":["1"]},{"s":["1"]},{"r":["1"]},{"q":["1"]}]},` +
			`"b":{"$or":[{"x":["1"]},{"y":["1"]},{"z":["1"]},{"w":["1"]},{"v":["1"]},{"u":["1"]},{"t":["1"]},{"s":["1"]},{"r":["1"]},{"q":["1"]}]},` +
			`"c":{"$or":[{"x":["1"]},{"y":["1"]},{"z":["1"]},{"w":["1"]},{"v":["1"]},{"u":["1"]},{"t":["1"]},{"s":["1"]},{"r":["1"]},{"q":["1"]}]}}`, // 1000 combinations
	} {
		if _, err := ebemu.ParsePattern(json.RawMessage(p)); err != nil {
			t.Errorf("ParsePattern(%.80s) = %v, want it accepted", p, err)
		}
	}
}
