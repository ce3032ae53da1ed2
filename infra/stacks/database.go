package stacks

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/functions/envnames"
	"github.com/ssoflow/ssoflow/infra/config"
)

// DatabaseAccessProps describe the databases the provisioner reaches.
type DatabaseAccessProps struct {
	Databases []config.Database
}

// DatabaseAccess is the network and IAM side of provisioning database users: the provisioner's
// own security group in the databases' VPC, ingress to each database from it, and
// rds-db:connect for the provisioner user only.
type DatabaseAccess struct {
	constructs.Construct
	Vpc           awsec2.IVpc
	Subnets       *awsec2.SubnetSelection
	SecurityGroup awsec2.ISecurityGroup
}

// NewDatabaseAccess builds the security group and imports the VPC and subnets (no lookups, so
// synth needs no AWS credentials).
func NewDatabaseAccess(scope constructs.Construct, id string, p DatabaseAccessProps) *DatabaseAccess {
	c := constructs.NewConstruct(scope, jsii.String(id))
	first := p.Databases[0]
	vpc := awsec2.Vpc_FromVpcAttributes(c, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:             jsii.String(first.VpcID),
		AvailabilityZones: awscdk.Fn_GetAzs(jsii.String("")),
	})
	var subnets []awsec2.ISubnet
	seen := map[string]bool{}
	for _, d := range p.Databases {
		for _, s := range d.SubnetIDs {
			if !seen[s] {
				seen[s] = true
				subnets = append(subnets, awsec2.Subnet_FromSubnetId(c, jsii.String("Subnet-"+s), jsii.String(s)))
			}
		}
	}
	awscdk.Annotations_Of(c).AcknowledgeWarning(jsii.String("@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones"),
		jsii.String("the provisioner is placed in the configured subnets by id; no construct here derives subnets from the VPC's zones"))
	awscdk.Annotations_Of(c).AcknowledgeWarning(jsii.String("@aws-cdk/aws-ec2:noSubnetRouteTableId"),
		jsii.String("nothing here reads the imported subnets' route tables"))
	sg := awsec2.NewSecurityGroup(c, jsii.String("ProvisionerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("ssoflow database provisioner: reaches the configured databases only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	for _, d := range p.Databases {
		port := awsec2.Port_Tcp(jsii.Number(float64(d.Port)))
		if d.SecurityGroupID != "" {
			dbSG := awsec2.SecurityGroup_FromSecurityGroupId(c, jsii.String("DbSecurityGroup-"+d.Name), jsii.String(d.SecurityGroupID), &awsec2.SecurityGroupImportOptions{AllowAllOutbound: jsii.Bool(false)})
			sg.Connections().AllowTo(dbSG, port, jsii.String("ssoflow provisioner to database "+d.Name))
		} else {
			sg.AddEgressRule(awsec2.Peer_Ipv4(vpc.VpcCidrBlock()), port, jsii.String("ssoflow provisioner to database "+d.Name+" (no database security group configured)"), nil)
		}
	}
	return &DatabaseAccess{Construct: c, Vpc: vpc, Subnets: &awsec2.SubnetSelection{Subnets: &subnets}, SecurityGroup: sg}
}

// GrantConnect lets grantee connect to each database as its provisioner user, and nobody else.
func (d *DatabaseAccess) GrantConnect(grantee awsiam.IGrantable, dbs []config.Database) {
	stack := awscdk.Stack_Of(d.Construct)
	var arns []*string
	for _, db := range dbs {
		arns = append(arns, stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("rds-db"), Resource: jsii.String("dbuser"),
			ResourceName: jsii.String(fmt.Sprintf("%s/%s", db.ResourceID, db.ProvisionerUser)),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		}))
	}
	grantee.GrantPrincipal().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ConnectAsProvisioner"),
		Actions:   jsii.Strings("rds-db:connect"),
		Resources: &arns,
	}))
}

// ProvisionerProps configure one dbusers function and the network and IAM access it needs.
type ProvisionerProps struct {
	Config    *config.Config
	RepoRoot  string
	Region    string            // where the databases are
	Databases []config.Database // may be empty: the function is then outside any VPC
	// FunctionName, when set, names the function (the cross-account ARN is built from it).
	FunctionName string
}

// NewProvisioner builds the dbusers function: in the databases' VPC with its own security group
// when databases are given, allowed to connect only as each provisioner user. The pipeline stack
// builds one for its own (account, region), each database-access stack one for its own.
func NewProvisioner(scope constructs.Construct, p ProvisionerProps) *GoLambda {
	cfg := p.Config
	props := GoLambdaProps{
		RepoRoot: p.RepoRoot, Command: "dbusers", Description: "ssoflow: create, grant and drop IAM-authenticated database users",
		Environment: map[string]string{
			envnames.LogLevel:  cfg.LogLevel,
			envnames.Databases: DatabasesJSON(p.Region, cfg.DBUserNameRule, p.Databases),
		},
		LogRetention: cfg.LogRetentionDays, LogLevel: cfg.LogLevel, TimeoutSecs: 300, FunctionName: p.FunctionName,
	}
	if cfg.DatabaseCABundle != "" {
		bundle, _ := filepath.Abs(filepath.Join(p.RepoRoot, cfg.DatabaseCABundle))
		props.Files = map[string]string{"rds-ca-bundle.pem": bundle}
		props.Environment[envnames.DBCAFile] = "/var/task/rds-ca-bundle.pem"
	}
	var access *DatabaseAccess
	if len(p.Databases) > 0 {
		access = NewDatabaseAccess(scope, "DatabaseAccess", DatabaseAccessProps{Databases: p.Databases})
		props.Vpc, props.Subnets, props.SecurityGroup = access.Vpc, access.Subnets, access.SecurityGroup
	}
	l := NewGoLambda(scope, "DbUsers", props)
	if len(p.Databases) > 0 && cfg.DatabaseCABundle == "" {
		awscdk.Annotations_Of(l.Construct).AddWarningV2(jsii.String("ssoflow:NoDatabaseCABundle"), jsii.String(
			"databaseCaBundle is not set: the provisioner verifies database certificates against the system roots, "+
				"which do not include the RDS certificate authorities, so its connections will fail. Download "+
				"https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem into the repository and name it in databaseCaBundle."))
	}
	if access != nil {
		access.GrantConnect(l.Function, p.Databases)
	}
	return l
}

// DatabasesJSON is the SSOFLOW_DATABASES value: the shape functions/internal/dbuser reads.
func DatabasesJSON(region, rule string, dbs []config.Database) string {
	type db struct {
		Name               string              `json:"name"`
		Engine             string              `json:"engine"`
		Dialect            string              `json:"dialect,omitempty"`
		Host               string              `json:"host"`
		Port               int                 `json:"port"`
		Database           string              `json:"database"`
		Region             string              `json:"region"`
		ProvisionerUser    string              `json:"provisionerUser"`
		UserNameRule       string              `json:"userNameRule"`
		RequireSSL         *bool               `json:"requireSsl,omitempty"`
		RolesActiveOnLogin bool                `json:"rolesActiveOnLogin,omitempty"`
		Grants             map[string][]string `json:"grants"`
	}
	out := make([]db, 0, len(dbs))
	for _, d := range dbs {
		r := d.Region // the database's own region signs its IAM tokens; empty: the pipeline's
		if r == "" {
			r = region
		}
		out = append(out, db{Name: d.Name, Engine: d.Engine, Dialect: d.Dialect, Host: d.Endpoint, Port: d.Port, Database: d.Database,
			Region: r, ProvisionerUser: d.ProvisionerUser, UserNameRule: rule, RequireSSL: d.RequireSSL,
			RolesActiveOnLogin: d.RolesActiveOnLogin, Grants: d.Grants})
	}
	b, _ := json.Marshal(out)
	return string(b)
}
