#!/usr/bin/env bash
# A PostgreSQL server for the PostgreSQL store's tests (lib/incident/pg-store.test.ts) and the
# end-to-end tests. Use it as
#
#   eval "$(scripts/test-postgres.sh --print-env)"
#
# which exports HOPSCOPE_TEST_DATABASE_URL (stdout carries only the `export` line; everything
# meant for people goes to stderr). Without --print-env it prints the URL for a person to copy.
#
# - HOPSCOPE_TEST_DATABASE_URL already set: nothing to do, nothing printed on stdout.
# - Root on Debian: installs `postgresql` when missing, starts the first cluster pg_lsclusters
#   lists (the newest version when several are down), and creates, when missing, a role
#   `hopscope` (LOGIN CREATEDB, so end-to-end tests may create a fresh database per run) and a
#   database `hopscope_test` it owns. The role's random password is kept in PASSWORD_FILE below,
#   so reruns give the same URL. Idempotent; a rerun against a running server takes well under a
#   second.
# - Otherwise: says on stderr that the PostgreSQL tests will be skipped, and why; exits 0.
# Exits non-zero only when it tried to set up a server and failed.
set -uo pipefail

ROLE=hopscope
DATABASE=hopscope_test
PASSWORD_FILE=/var/lib/postgresql/.hopscope-test-password

print_env=0
case "${1:-}" in
  --print-env) print_env=1 ;;
  '') ;;
  *) echo "usage: $0 [--print-env]" >&2; exit 2 ;;
esac

say() { echo "test-postgres: $*" >&2; }

emit() {
  if [ "$print_env" -eq 1 ]; then
    say "PostgreSQL for the tests: role $ROLE, database $DATABASE on 127.0.0.1:$port (cluster $version/$name)"
    printf "export HOPSCOPE_TEST_DATABASE_URL='%s'\n" "$1"
  else
    say "PostgreSQL is ready; run the tests with"
    echo "HOPSCOPE_TEST_DATABASE_URL='$1'"
  fi
}

if [ -n "${HOPSCOPE_TEST_DATABASE_URL:-}" ]; then
  say "HOPSCOPE_TEST_DATABASE_URL is already set; using it as it is"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  say "the PostgreSQL store tests will be skipped: HOPSCOPE_TEST_DATABASE_URL is not set, and setting up a local server needs root. Run this script as root, or set HOPSCOPE_TEST_DATABASE_URL to a database where the tests may create schemas."
  exit 0
fi
if ! command -v pg_lsclusters >/dev/null 2>&1 && ! command -v apt-get >/dev/null 2>&1; then
  say "the PostgreSQL store tests will be skipped: HOPSCOPE_TEST_DATABASE_URL is not set and this is not a Debian system with apt-get, so no server can be installed here."
  exit 0
fi

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  say "installing Debian's postgresql"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql </dev/null; } >&2; then
    say "apt-get install postgresql failed"
    exit 1
  fi
fi

# pg_lsclusters -h: "<version> <name> <port> <status> <owner> <data dir> <log>", one a line.
clusters="$(pg_lsclusters -h 2>/dev/null)"
if [ -z "$clusters" ]; then
  version="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$version" ]; then
    say "postgresql is installed but no server version was found under /usr/lib/postgresql"
    exit 1
  fi
  say "creating cluster $version/main"
  pg_createcluster "$version" main >&2 || { say "pg_createcluster $version main failed"; exit 1; }
  clusters="$(pg_lsclusters -h)"
fi
# A running cluster first; otherwise the newest version.
cluster="$(printf '%s\n' "$clusters" | awk '$4 == "online"' | head -n 1)"
[ -n "$cluster" ] || cluster="$(printf '%s\n' "$clusters" | sort -V -k1,1 | tail -n 1)"
read -r version name port status _ <<<"$cluster"

if [ "$status" != online ]; then
  say "starting cluster $version/$name on port $port"
  if ! pg_ctlcluster "$version" "$name" start >&2; then
    say "pg_ctlcluster $version $name start failed; see /var/log/postgresql/postgresql-$version-$name.log"
    exit 1
  fi
fi

if [ ! -s "$PASSWORD_FILE" ]; then
  (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PASSWORD_FILE") || { say "cannot write $PASSWORD_FILE"; exit 1; }
fi
password="$(cat "$PASSWORD_FILE")"
url="postgres://$ROLE:$password@127.0.0.1:$port/$DATABASE"

# Fast path: the role, its password and the database are already there.
if PGCONNECT_TIMEOUT=5 psql -X -q -t -d "$url" -c 'SELECT 1' >/dev/null 2>&1; then
  emit "$url"
  exit 0
fi

say "creating role $ROLE and database $DATABASE"
if ! runuser -u postgres -- psql -X -q -p "$port" -d postgres -v ON_ERROR_STOP=1 -v role="$ROLE" -v db="$DATABASE" -v pw="$password" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
SQL
then
  say "creating role $ROLE / database $DATABASE failed"
  exit 1
fi

if ! PGCONNECT_TIMEOUT=5 psql -X -q -t -d "$url" -c 'SELECT 1' >/dev/null; then
  say "cannot connect as $ROLE to 127.0.0.1:$port/$DATABASE; check pg_hba.conf of cluster $version/$name"
  exit 1
fi
emit "$url"
