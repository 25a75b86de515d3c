# KAM Platform — see README.md
SHELL := /bin/bash
PY_VERSION := 3.12
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
export KAM_DEMO_PASSWORD ?= Kam@2026demo

.PHONY: run test setup deps assets messages db demo test-sqlite test-postgres test-browser lint bench pg clean

$(VENV)/.installed: pyproject.toml
	@command -v pyenv >/dev/null && pyenv install -s $(PY_VERSION) >/dev/null 2>&1 || true
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $@

deps: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	npm run --silent build

messages: deps
	./scripts/compilemessages.sh

setup: deps assets messages

db: setup
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo --size demo --if-empty

run: db
	./scripts/run.sh $(PORT)

pg:
	./scripts/pg.sh

test: setup pg
	./scripts/test.sh

lint: deps
	$(VENV)/bin/ruff check src tests bench

bench: setup pg
	$(PY) bench/run.py

clean:
	rm -rf var staticfiles src/kam/static/vendor
