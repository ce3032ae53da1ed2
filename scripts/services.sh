#!/usr/bin/env bash
# Makes sure the databases the tests use are up: MariaDB (root, no password, 127.0.0.1:3306) and
# PostgreSQL (trust, 127.0.0.1:5432), each with a `test` database. Installs them from Debian
# packages when missing, starts them when stopped, and says what it did.
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "$name did not come up"; return 1
}

mysql_ok() { mysql -h127.0.0.1 -P3306 -uroot -e 'select 1' >/dev/null 2>&1; }
if ! mysql_ok; then
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    log "installing MariaDB from Debian packages"; apt_install mariadb-server mariadb-client
  fi
  log "starting MariaDB"
  as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1 --port=3306
  wait_for MariaDB mysqladmin --socket=/run/mysqld/mysqld.sock ping
  # A fresh Debian install lets root in only through the socket: allow TCP with no password,
  # as the tests expect (a throwaway local server, never a deployed one).
  if ! mysql_ok; then
    as_root mysql --socket=/run/mysqld/mysqld.sock -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;"
  fi
  wait_for "MariaDB over TCP" mysql_ok
fi
mysql -h127.0.0.1 -uroot -e 'CREATE DATABASE IF NOT EXISTS test'
log "MariaDB ready: $(mysql -h127.0.0.1 -uroot -N -e 'select version()')"

pg_ok() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; }
if ! pg_ok; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian packages"; apt_install postgresql postgresql-client
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    log "allowing trust logins from 127.0.0.1 (throwaway test server)"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  log "starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
  wait_for PostgreSQL pg_ok
fi
psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1 from pg_database where datname='test'" | grep -q 1 ||
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
log "PostgreSQL ready: $(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'show server_version')"
