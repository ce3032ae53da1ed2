package ebemu_test

import (
	"encoding/json"
	"testing"

	"github.com/ssoflow/ssoflow/functions/internal/emulator/ebemu"
)

// Documentation pages the examples below come from (Amazon EventBridge User Guide).
const (
	docPatterns  = "Amazon EventBridge event patterns — https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html"
	docSyntax    = "Event pattern syntax — https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html"
	docNull      = "Matching null values and empty strings in Amazon EventBridge event patterns — https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html"
	docArrays    = "Arrays in Amazon EventBridge event patterns — https://docs.aws.amazon.com/eventbridge/latest/userguide/arrays-in-eventbridge-event-patterns.html"
	docFiltering = "Content filtering in Amazon EventBridge event patterns — https://docs.aws.amazon.com/eventbridge/latest/userguide/content-filtering-with-event-patterns.html"
	docOperators = "Comparison operators for use in event patterns in Amazon EventBridge — https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html"
	docRuler     = "aws/event-ruler README (the matching library AWS publishes) — https://github.com/aws/event-ruler"
)

// ec2Event is the EC2 event of "Amazon EventBridge event patterns".
const ec2Event = `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 Instance State-change Notification",
"source":"aws.ec2","account":"111122223333","time":"2017-12-22T18:43:48Z","region":"us-west-1",
"resources":["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
"detail":{"instance-id":"i-1234567890abcdef0","state":"terminated"}}`

// autoscalingEvent is the event of "Matching null values and empty strings".
const autoscalingEvent = `{"version":"0","id":"3e3c153a-8339-4e30-8c35-687ebef853fe","detail-type":"EC2 Instance Launch Successful",
"source":"aws.autoscaling","account":"123456789012","time":"2015-11-11T21:31:47Z","region":"us-east-1","resources":[],
"detail":{"eventVersion":"","responseElements":null}}`

// rulerEvent is the example event of the event-ruler README.
const rulerEvent = `{"version":"0","id":"ddddd4-aaaa-7777-4444-345dd43cc333","detail-type":"EC2 Instance State-change Notification",
"source":"aws.ec2","account":"012345679012","time":"2017-10-02T16:24:49Z","region":"us-east-1",
"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
"detail":{"c-count":5,"d-count":3,"x-limit":301.8,"source-ip":"10.0.0.33","instance-id":"i-000000aaaaaa00000","state":"running"}}`

type matchCase struct {
	name, source   string
	pattern, event string
	want           bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ebemu.Match(json.RawMessage(c.pattern), json.RawMessage(c.event))
			if err != nil {
				t.Fatalf("Match: %v (source: %s)", err, c.source)
			}
			if got != c.want {
				t.Errorf("Match(%s, %s) = %t, want %t (source: %s)", c.pattern, c.event, got, c.want, c.source)
			}
		})
	}
}

// TestDocumentedPatternExamples pins the examples of the EventBridge User Guide: each pattern
// with the event the page says it matches, or does not.
func TestDocumentedPatternExamples(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"EC2 termination pattern", docPatterns,
			`{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["terminated"]}}`, ec2Event, true},
		{"EC2 termination pattern, other state", docPatterns,
			`{"source":["aws.ec2"],"detail":{"state":["running"]}}`, ec2Event, false},
		{"array of values is OR", docSyntax, `{"source":["aws.ec2","aws.fargate"]}`, ec2Event, true},
		{"every pattern field must be in the event", docSyntax, `{"source":["aws.ec2"],"detail":{"owner":["x"]}}`, ec2Event, false},
		{"same nesting structure", docSyntax, `{"state":["terminated"]}`, ec2Event, false},
		{"strings are case-sensitive", docSyntax, `{"source":["AWS.EC2"]}`, ec2Event, false},
		{"numbers by string representation: 300", docSyntax, `{"detail":{"n":[300]}}`, `{"detail":{"n":300}}`, true},
		{"numbers by string representation: 300.0", docSyntax, `{"detail":{"n":[300]}}`, `{"detail":{"n":300.0}}`, false},
		{"numbers by string representation: 3.0e2", docSyntax, `{"detail":{"n":[300]}}`, `{"detail":{"n":3.0e2}}`, false},
		{"null value", docPatterns,
			`{"source":["aws.autoscaling"],"detail-type":["EC2 Instance Launch Successful"],"detail":{"responseElements":[null]}}`, autoscalingEvent, true},
		{"nested values (Macie)", docPatterns,
			`{"source":["aws.macie"],"detail-type":["Macie Finding"],"detail":{"severity":{"score":[1]},"count":[2]}}`,
			`{"source":"aws.macie","detail-type":"Macie Finding","detail":{"severity":{"score":1,"description":"Low"},"count":2}}`, true},
		{"empty string", docNull, `{"detail":{"eventVersion":[""]}}`, autoscalingEvent, true},
		{"null", docNull, `{"detail":{"responseElements":[null]}}`, autoscalingEvent, true},
		{"empty string does not match null", docNull, `{"detail":{"responseElements":[""]}}`, autoscalingEvent, false},
		{"null does not match empty string", docNull, `{"detail":{"eventVersion":[null]}}`, autoscalingEvent, false},
		{"arrays intersect", docArrays,
			`{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f","arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`,
			`{"resources":["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate","arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
		{"arrays without intersection", docArrays, `{"resources":["arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`, ec2Event, false},
		{"prefix", docFiltering, `{"time":[{"prefix":"2017-10-02"}]}`, `{"time":"2017-10-02T18:43:48Z"}`, true},
		{"prefix, other date", docFiltering, `{"time":[{"prefix":"2017-10-02"}]}`, ec2Event, false},
		{"prefix equals-ignore-case", docFiltering, `{"detail":{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}}`, `{"detail":{"service":"eventbridge"}}`, true},
		{"suffix", docFiltering, `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.png"}`, true},
		{"suffix, other extension", docFiltering, `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.PNG"}`, false},
		{"suffix equals-ignore-case", docFiltering, `{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}}`, `{"detail":{"FileName":"image.PNG"}}`, true},
		{"anything-but string", docFiltering, `{"detail":{"state":[{"anything-but":"initializing"}]}}`, ec2Event, true},
		{"anything-but string excludes it", docFiltering, `{"detail":{"state":[{"anything-but":"terminated"}]}}`, ec2Event, false},
		{"anything-but number", docFiltering, `{"detail":{"x-limit":[{"anything-but":123}]}}`, `{"detail":{"x-limit":124}}`, true},
		{"anything-but number excludes it", docFiltering, `{"detail":{"x-limit":[{"anything-but":123}]}}`, `{"detail":{"x-limit":123}}`, false},
		{"anything-but string list", docFiltering, `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, `{"detail":{"state":"overloaded"}}`, false},
		{"anything-but number list", docFiltering, `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, `{"detail":{"x-limit":250}}`, true},
		{"anything-but prefix", docFiltering, `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, `{"detail":{"state":"initializing"}}`, false},
		{"anything-but prefix, other value", docFiltering, `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, ec2Event, true},
		{"numeric: all fields", docFiltering,
			`{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, rulerEvent, true},
		{"numeric: one field out of range", docFiltering,
			`{"detail":{"c-count":[{"numeric":[">",0,"<=",4]}],"d-count":[{"numeric":["<",10]}]}}`, rulerEvent, false},
		{"cidr", docFiltering, `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.0.255"}}`, true},
		{"cidr, outside", docFiltering, `{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}`, `{"detail":{"sourceIPAddress":"10.0.1.0"}}`, false},
		{"exists true", docFiltering, `{"detail":{"state":[{"exists":true}]}}`,
			`{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012","time":"2015-11-11T21:29:54Z","region":"us-east-1","resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],"detail":{"instance-id":"i-abcd1111","state":"pending"}}`, true},
		{"exists true, field absent", docFiltering, `{"detail":{"state":[{"exists":true}]}}`,
			`{"detail-type":["EC2 Instance State-change Notification"],"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],"detail":{"c-count":{"c1":100}}}`, false},
		{"exists false, field absent", docFiltering, `{"detail":{"c-count":[{"exists":false}]}}`,
			`{"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["initializing","running"]}}`, true},
		{"exists false, field is not a leaf", docFiltering, `{"detail":{"c-count":[{"exists":false}]}}`,
			`{"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["initializing","running"],"c-count":{"c1":100}}}`, true},
		{"equals-ignore-case", docFiltering, `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, ec2Event, true},
		{"complex example", docFiltering,
			`{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}]}}`, rulerEvent, true},
		{"repeated key: the last is used", docFiltering,
			`{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}`, `{"detail":{"location":"eu-west"}}`, true},
		{"$or: one alternative", docFiltering,
			`{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`,
			`{"detail":{"c-count":50,"d-count":50,"x-limit":301.8}}`, true},
		{"$or: no alternative", docFiltering,
			`{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}}`,
			`{"detail":{"c-count":50,"d-count":50}}`, false},
	})
}

// TestDocumentedOperatorTable pins the rows of the comparison operator table.
func TestDocumentedOperatorTable(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"and", docOperators, `{"Location":["New York"],"Day":["Monday"]}`, `{"Location":"New York","Day":"Monday"}`, true},
		{"and, one differs", docOperators, `{"Location":["New York"],"Day":["Monday"]}`, `{"Location":"New York","Day":"Sunday"}`, false},
		{"anything-but begins with", docOperators, `{"Region":[{"anything-but":{"prefix":"us-"}}]}`, `{"Region":"eu-west-1"}`, true},
		{"anything-but begins with, US", docOperators, `{"Region":[{"anything-but":{"prefix":"us-"}}]}`, `{"Region":"us-east-1"}`, false},
		{"anything-but ends with", docOperators, `{"FileName":[{"anything-but":{"suffix":".png"}}]}`, `{"FileName":"a.png"}`, false},
		{"anything-but ignore case", docOperators, `{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"INITIALIZING"}`, false},
		{"anything-but ignore case, other", docOperators, `{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}`, `{"state":"running"}`, true},
		{"anything-but wildcard", docOperators, `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/lib/x"}`, false},
		{"anything-but wildcard, other path", docOperators, `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/bin/x"}`, true},
		{"begins with", docOperators, `{"Region":[{"prefix":"us-"}]}`, `{"Region":"us-east-1"}`, true},
		{"begins with ignore case", docOperators, `{"service":[{"prefix":{"equals-ignore-case":"eventb"}}]}`, `{"service":"EventBridge"}`, true},
		{"empty", docOperators, `{"LastName":[""]}`, `{"LastName":""}`, true},
		{"equals", docOperators, `{"Name":["Alice"]}`, `{"Name":"Alice"}`, true},
		{"equals ignore case", docOperators, `{"Name":[{"equals-ignore-case":"alice"}]}`, `{"Name":"ALICE"}`, true},
		{"ends with", docOperators, `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"x.png"}`, true},
		{"ends with ignore case", docOperators, `{"service":[{"suffix":{"equals-ignore-case":"tbridge"}}]}`, `{"service":"EVENTBRIDGE"}`, true},
		{"exists", docOperators, `{"ProductName":[{"exists":true}]}`, `{"ProductName":"x"}`, true},
		{"does not exist", docOperators, `{"ProductName":[{"exists":false}]}`, `{"Other":"x"}`, true},
		{"does not exist, present", docOperators, `{"ProductName":[{"exists":false}]}`, `{"ProductName":"x"}`, false},
		{"not", docOperators, `{"Weather":[{"anything-but":["Raining"]}]}`, `{"Weather":"Raining"}`, false},
		{"null", docOperators, `{"UserID":[null]}`, `{"UserID":null}`, true},
		{"numeric equals", docOperators, `{"Price":[{"numeric":["=",100]}]}`, `{"Price":100.0}`, true},
		{"numeric range", docOperators, `{"Price":[{"numeric":[">",10,"<=",20]}]}`, `{"Price":20}`, true},
		{"numeric range, open bottom", docOperators, `{"Price":[{"numeric":[">",10,"<=",20]}]}`, `{"Price":10}`, false},
		{"or", docOperators, `{"PaymentType":["Credit","Debit"]}`, `{"PaymentType":"Debit"}`, true},
		{"or, multiple fields", docOperators, `{"$or":[{"Location":["New York"]},{"Day":["Monday"]}]}`, `{"Location":"Paris","Day":"Monday"}`, true},
		{"wildcard", docRuler, `{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"SimpleQueueService"}`, true},
		{"wildcard, no match", docRuler, `{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"SimpleQueue"}`, false},
		{"ruler complex example", docRuler,
			`{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, rulerEvent, true},
		{"ruler array of objects", docRuler, `{"employees":{"firstName":["Anna"]}}`,
			`{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, true},
		{"ruler array consistency", docRuler, `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`,
			`{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, false},
		{"ruler multi-level arrays", docRuler, `{"employees":{"firstName":["Peter"]}}`,
			`{"employees":[[{"firstName":"John"},{"firstName":"Anna"}],[{"firstName":"Peter"}]]}`, true},
	})
}
