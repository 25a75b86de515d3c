#!/usr/bin/env bash
# Starts the machine's PostgreSQL 15 and makes sure the role and database "kam" exist.
# Idempotent. Set KAM_SKIP_PG=1 to skip (tests then run on SQLite only).
set -euo pipefail
[[ "${KAM_SKIP_PG:-0}" == "1" ]] && exit 0
if ! command -v pg_ctlcluster >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
pg_ctlcluster 15 main status >/dev/null 2>&1 || pg_ctlcluster 15 main start
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
as_pg() { (cd / && su postgres -c "$1"); }
as_pg "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='kam'\"" | grep -q 1 \
  || as_pg "psql -qc \"CREATE ROLE kam LOGIN SUPERUSER PASSWORD 'kam'\""
as_pg "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='kam'\"" | grep -q 1 \
  || as_pg "createdb -O kam kam"
echo "PostgreSQL ready (kam@127.0.0.1/kam)"
