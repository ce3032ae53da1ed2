-- The provisioner on MariaDB (RDS for MariaDB; "dialect": "mariadb"), run once per instance
-- as its master user. app_readonly, app_readwrite: the roles in grants.
CREATE USER 'ssoflow_provisioner'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;
-- CREATE USER and DROP USER.
GRANT CREATE USER ON *.* TO 'ssoflow_provisioner'@'%';
-- Which users exist (names only, not password hashes) and which roles they hold.
GRANT SELECT (User, Host) ON mysql.user TO 'ssoflow_provisioner'@'%';
GRANT SELECT ON mysql.roles_mapping TO 'ssoflow_provisioner'@'%';
-- SET DEFAULT ROLE ... FOR another user needs write access to the mysql database.
GRANT UPDATE ON mysql.* TO 'ssoflow_provisioner'@'%';
-- Every role named in grants: only a holder WITH ADMIN OPTION may grant and revoke it.
GRANT app_readonly TO 'ssoflow_provisioner'@'%' WITH ADMIN OPTION;
GRANT app_readwrite TO 'ssoflow_provisioner'@'%' WITH ADMIN OPTION;
-- The ledger: ssoflow creates the database ssoflow and its table managed_users.
GRANT CREATE, SELECT, INSERT, UPDATE, DELETE ON `ssoflow`.* TO 'ssoflow_provisioner'@'%';
