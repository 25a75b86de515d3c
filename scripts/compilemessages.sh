#!/usr/bin/env bash
# Compiles every app's translation catalogue (.po → .mo).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v msgfmt >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
.venv/bin/python manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules
