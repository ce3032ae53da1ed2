// Package envnames holds the names of the environment variables that the CDK app sets on the
// Lambda functions and that the functions read. It is the one place both modules share, so a
// rename cannot leave them out of step. It holds names only, never values: secrets are read
// from Secrets Manager at run time and never passed through the environment.
package envnames

const (
	// EventBusName is the name of the ssoflow event bus the Okta hook puts events on.
	EventBusName = "SSOFLOW_EVENT_BUS_NAME"
	// HookSecretARN is the Secrets Manager secret holding the Okta event hook's Authorization value.
	HookSecretARN = "SSOFLOW_HOOK_SECRET_ARN"
	// OktaOrgURL is the Okta org's base URL, e.g. https://example.okta.com.
	OktaOrgURL = "SSOFLOW_OKTA_URL"
	// OktaTokenSecretARN is the Secrets Manager secret holding the Okta API token.
	OktaTokenSecretARN = "SSOFLOW_OKTA_TOKEN_SECRET_ARN"
	// SCIMURL is the Identity Center SCIM endpoint, https://scim.<region>.amazonaws.com/<tenant>/scim/v2/.
	SCIMURL = "SSOFLOW_SCIM_URL"
	// SCIMTokenSecretARN is the Secrets Manager secret holding the SCIM bearer token.
	SCIMTokenSecretARN = "SSOFLOW_SCIM_TOKEN_SECRET_ARN"
	// GroupPrefix selects the Okta groups that are pushed to Identity Center by name.
	GroupPrefix = "SSOFLOW_GROUP_PREFIX"
	// GroupMappings is a JSON object of Okta group id → Identity Center group id.
	GroupMappings = "SSOFLOW_GROUP_MAPPINGS"
	// IdentityStoreID is the Identity Center identity store id (d-xxxxxxxxxx).
	IdentityStoreID = "SSOFLOW_IDENTITY_STORE_ID"
	// Databases is the JSON list of databases (connection settings and, per Identity Center
	// group name, the roles it grants) that resolve plans for and dbusers provisions.
	Databases = "SSOFLOW_DATABASES"
	// DatabaseTargets is a JSON object of database name → {"functionArn", "roleArn"} for the
	// databases whose provisioner runs in another account or region: the provision state
	// machine invokes that function with that role (Step Functions task credentials).
	// Databases not named here are provisioned by the pipeline's own dbusers function.
	DatabaseTargets = "SSOFLOW_DATABASE_TARGETS"
	// PlanBucket is the S3 bucket where Resolve stores a database plan too large for a Step
	// Functions state, in chunks the ProvisionDatabases Map loads one at a time (by reference).
	PlanBucket = "SSOFLOW_PLAN_BUCKET"
	// DBCAFile is the path of the RDS CA bundle the provisioner verifies database certificates
	// against; empty means the system roots.
	DBCAFile = "SSOFLOW_DB_CA_FILE"
	// StateMachineARN is the provision state machine's ARN (used in notification replay commands).
	StateMachineARN = "SSOFLOW_STATE_MACHINE_ARN"
	// TopicARN is the SNS topic that receives failure notifications.
	TopicARN = "SSOFLOW_TOPIC_ARN"
	// LogLevel is the slog level: debug, info, warn or error (default info).
	LogLevel = "SSOFLOW_LOG_LEVEL"
	// SSOInstanceARN is the IAM Identity Center instance ARN (arn:aws:sso:::instance/ssoins-...).
	SSOInstanceARN = "SSOFLOW_SSO_INSTANCE_ARN"
	// GrantStateMachineARN is the just-in-time access state machine's ARN: its running
	// executions are the active grants.
	GrantStateMachineARN = "SSOFLOW_GRANT_STATE_MACHINE_ARN"
	// GrantMaxHours is the longest grant allowed, in hours.
	GrantMaxHours = "SSOFLOW_GRANT_MAX_HOURS"
	// SFNEndpoint overrides the Step Functions endpoint of the CLI (the local emulator).
	SFNEndpoint = "SSOFLOW_SFN_ENDPOINT"
	// ReconcileMaxRemoveShare is the share of a group's members one reconcile may remove
	// before it refuses the group (default 0.2).
	ReconcileMaxRemoveShare = "SSOFLOW_RECONCILE_MAX_REMOVE_SHARE"
)
