-- The provisioner on MySQL 8.0 and 8.4 (RDS for MySQL, Aurora MySQL 3; "dialect": "mysql8"),
-- run once per instance as its master user. app_readonly, app_readwrite: the roles in grants.
CREATE USER 'ssoflow_provisioner'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;
-- CREATE USER, DROP USER, and SET DEFAULT ROLE ... TO another user.
GRANT CREATE USER ON *.* TO 'ssoflow_provisioner'@'%';
-- Which users exist (names only, not password hashes) and which roles they hold.
GRANT SELECT (User, Host) ON mysql.user TO 'ssoflow_provisioner'@'%';
GRANT SELECT ON mysql.role_edges TO 'ssoflow_provisioner'@'%';
-- Every role named in grants: only a holder WITH ADMIN OPTION (or ROLE_ADMIN) may grant it.
GRANT app_readonly TO 'ssoflow_provisioner'@'%' WITH ADMIN OPTION;
GRANT app_readwrite TO 'ssoflow_provisioner'@'%' WITH ADMIN OPTION;
-- The ledger: ssoflow creates the database ssoflow and its table managed_users.
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `ssoflow`.* TO 'ssoflow_provisioner'@'%';
