package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// PlanKeyPrefix is where Resolve writes plan chunks in the plan bucket; the grants and the
// lifecycle rule cover these keys only.
const PlanKeyPrefix = "plans/"

// planExpiryDays is the default and the minimum age at which plan chunks expire: more than Step
// Functions' 14-day redrive window (counted from when an execution stops), so a redriven
// execution, whose LoadWork steps read the chunks its Resolve step wrote and never plans again,
// still finds them. Provision executions last minutes to hours, so the extra day covers the
// time between writing a chunk and the execution stopping.
const planExpiryDays = 15

// PlanBucketProps configure the plan bucket.
type PlanBucketProps struct {
	// ExpireAfterDays is how long a plan chunk is kept; 0 means 15. Fewer than 15 days would
	// delete chunks a redriven execution still needs, and is refused.
	ExpireAfterDays int
}

// PlanBucket is where Resolve stores a database plan too large for a Step Functions state
// (256 KiB): in content-addressed chunks under plans/ that the provision state machine's Map
// items refer to and LoadWork reads back one at a time. Nothing else reads it.
type PlanBucket struct {
	constructs.Construct
	Bucket awss3.Bucket
}

// NewPlanBucket builds the bucket.
func NewPlanBucket(scope constructs.Construct, id string, p PlanBucketProps) *PlanBucket {
	days := p.ExpireAfterDays
	if days == 0 {
		days = planExpiryDays
	}
	if days < planExpiryDays {
		panic(fmt.Sprintf("ssoflow: plan chunks must be kept at least %d days (Step Functions redrives an execution up to 14 days after it stops), got %d", planExpiryDays, days))
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// Chunks are named by their content and never rewritten: versions would only keep
		// copies of identical bytes.
		Versioned: jsii.Bool(false),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpirePlans"),
			Prefix:                              jsii.String(PlanKeyPrefix),
			Expiration:                          awscdk.Duration_Days(jsii.Number(days)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		// RETAIN (CDK's default), stated: deleting the stack leaves the bucket, which the
		// lifecycle rule empties within the expiry period; delete it by hand after that.
		// DESTROY would fail the stack's deletion while chunks remain, and autoDeleteObjects
		// would add a custom-resource Lambda (Node.js runtime, its own role allowed to delete
		// every object, a bucket policy statement for it) to save that one manual step.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppress(bucket, "AwsSolutions-S1", "The bucket holds transient, content-addressed plan chunks, written and read only by the "+
		"pipeline's resolve function role and expired by a lifecycle rule; they hold user names and e-mail addresses that "+
		"Identity Center already holds. Access is auditable with CloudTrail data events for S3 where an organization wants it; "+
		"a server access log bucket would itself need a log bucket.")
	return &PlanBucket{Construct: c, Bucket: bucket}
}

// GrantPlans lets fn write and read plan chunks, and nothing else: s3:PutObject and
// s3:GetObject on <bucket>/plans/*, and s3:ListBucket on the bucket for keys under plans/ only.
// ListBucket is there so that reading a missing chunk answers 404 NoSuchKey, which Resolve
// reports as "plan again" (replay anew): without it S3 answers 403 AccessDenied, the same as a
// real permission problem. S3 evaluates that implicit ListBucket check with the requested key
// as s3:prefix, hence StringLike plans/* (StringEquals plans/ would not match a key). No
// delete: chunks expire by the lifecycle rule.
func (b *PlanBucket) GrantPlans(fn awslambda.IFunction) {
	objects := b.Bucket.ArnForObjects(jsii.String(PlanKeyPrefix + "*"))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteAndReadPlanChunks"),
		Actions:   jsii.Strings("s3:PutObject", "s3:GetObject"),
		Resources: &[]*string{objects},
	}))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ListPlanChunks"),
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: &[]*string{b.Bucket.BucketArn()},
		Conditions: &map[string]any{
			"StringLike": map[string]any{"s3:prefix": PlanKeyPrefix + "*"},
		},
	}))
	// cdk-nag shows the object ARN as <logical id.Arn>/plans/*: name exactly that one.
	cfn := b.Bucket.Node().DefaultChild().(awss3.CfnBucket)
	logicalID := *awscdk.Stack_Of(b.Bucket).GetLogicalId(cfn)
	var scope constructs.IConstruct = fn
	if role := fn.Role(); role != nil {
		scope = role
	}
	suppress(scope, "AwsSolutions-IAM5", "Plan chunk keys are content addresses (hashes of the chunk) computed at run time, "+
		"unknown at deploy time; the wildcard is limited to the plan bucket's plans/ prefix and to PutObject and GetObject.",
		"Resource::<"+logicalID+".Arn>/"+PlanKeyPrefix+"*")
}
