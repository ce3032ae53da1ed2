-- The provisioner on PostgreSQL 15, 16, 17 (RDS and Aurora PostgreSQL), run once per database
-- as its master user. appdb: the database; app_readonly, app_readwrite: the roles in grants.
CREATE ROLE ssoflow_provisioner LOGIN CREATEROLE;
-- rds_iam lets it log in with an IAM token, and ADMIN OPTION lets it grant rds_iam to the users
-- it creates: since PostgreSQL 16, CREATEROLE grants only roles held WITH ADMIN OPTION.
GRANT rds_iam TO ssoflow_provisioner WITH ADMIN OPTION;
-- Every role named in the database's grants, WITH ADMIN OPTION for the same reason.
GRANT app_readonly TO ssoflow_provisioner WITH ADMIN OPTION;
GRANT app_readwrite TO ssoflow_provisioner WITH ADMIN OPTION;
-- The ledger: ssoflow creates, and owns, the schema ssoflow and its table managed_users.
GRANT CREATE ON DATABASE appdb TO ssoflow_provisioner;
