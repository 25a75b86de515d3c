#!/usr/bin/env bash
# Serves the application (and its background worker, when present) until Ctrl-C, which stops
# every process this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
export KAM_DEBUG="${KAM_DEBUG:-1}"
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup INT TERM EXIT
.venv/bin/python manage.py demo_logins
if .venv/bin/python manage.py help kam_worker >/dev/null 2>&1; then
  .venv/bin/python manage.py kam_worker &
  pids+=($!)
fi
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
echo "KAM Platform: http://127.0.0.1:${PORT}/  (Ctrl-C stops it)"
wait -n "${pids[@]}"
