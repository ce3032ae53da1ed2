package stacks

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppress records a cdk-nag finding that is accepted for a stated reason, limited to the exact
// findings in appliesTo (e.g. "Resource::*") when given, on scope and its children.
func suppress(scope constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(scope, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// Reasons shared by several constructs.
const (
	reasonXRay = "AWS X-Ray's PutTraceSegments, PutTelemetryRecords and sampling actions support no resource-level permissions: " +
		"Resource must be * (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html)."
	reasonENI = "A Lambda function in a VPC needs ec2:CreateNetworkInterface, DescribeNetworkInterfaces and DeleteNetworkInterface, " +
		"which support no resource-level restriction for this use (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html)."
)
