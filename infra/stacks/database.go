package stacks

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ssoflow/ssoflow/infra/config"
)

// DatabaseAccessProps describe the databases the provisioner reaches.
type DatabaseAccessProps struct {
	Region    string
	Databases []config.Database
	UserRule  string
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
		out = append(out, db{Name: d.Name, Engine: d.Engine, Dialect: d.Dialect, Host: d.Endpoint, Port: d.Port, Database: d.Database,
			Region: region, ProvisionerUser: d.ProvisionerUser, UserNameRule: rule, RequireSSL: d.RequireSSL,
			RolesActiveOnLogin: d.RolesActiveOnLogin, Grants: d.Grants})
	}
	b, _ := json.Marshal(out)
	return string(b)
}
