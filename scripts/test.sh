#!/usr/bin/env bash
# The whole suite: lint, unit + integration + API + browser tests on SQLite, then everything but
# the browser tests on PostgreSQL. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/browser-deps.sh
.venv/bin/ruff check src tests bench
.venv/bin/python manage.py makemigrations --check --dry-run -v 0 || { echo "models and migrations differ: run makemigrations"; exit 1; }
export DJANGO_ALLOW_ASYNC_UNSAFE=true
workers="${KAM_TEST_WORKERS:-2}"
echo "== tests on SQLite =="
KAM_DB=sqlite .venv/bin/pytest -n "$workers" -q "$@"
if [[ "${KAM_SKIP_PG:-0}" != "1" ]]; then
  echo "== tests on PostgreSQL =="
  KAM_DB=postgres .venv/bin/pytest -n "$workers" -q -m "not browser" "$@"
fi
