# make run  - the whole system on this machine: web, Celery worker and beat, demo data
# make test - the whole test suite
# make lint - ruff check and format check, mypy (the files listed in pyproject.toml)
# make bench - every measurement at province scale beside its reference (PostgreSQL, wrk)

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Reinstalled only when a requirements file changes, so a second `make run` starts fast.
STAMP := $(VENV)/.installed-dev
MANAGE := $(BIN)/python manage.py
PYTEST_ARGS ?=
# make run PORT=8080: the port the web server listens on; links in messages follow it.
PORT ?= 8000

.PHONY: run test lint venv bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(STAMP)

run: export DEBUG := 1
run: export PORT := $(PORT)
run: export SITE_URL := $(or $(SITE_URL),http://127.0.0.1:$(PORT))
run: $(STAMP)
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable
	@if ! command -v msgfmt >/dev/null 2>&1; then \
		echo "gettext (msgfmt) not installed: skipping compilemessages"; \
	elif [ -n "$$(find . -path ./$(VENV) -prune -o -name '*.po' -print -quit)" ]; then \
		$(MANAGE) compilemessages --ignore=$(VENV) --verbosity 0; \
	fi
	$(MANAGE) collectstatic --noinput --verbosity 0
	@if $(MANAGE) shell --verbosity 0 -c "import sys; from dispatch.models import Division; \
		sys.exit(0 if Division.objects.exists() else 1)"; then \
		echo "Divisions already loaded: skipping seed_demo"; \
		$(MANAGE) seed_demo --list-logins; \
		$(MANAGE) convene_meetings | tail -1; \
	else \
		$(MANAGE) seed_demo; \
	fi
	@echo
	@echo "sanbufu: $(SITE_URL)/   admin: $(SITE_URL)/admin/"
	@echo "Starting web, Celery worker and Celery beat (Ctrl-C stops all three)."
	@echo
	$(BIN)/honcho --procfile Procfile.dev start --port $(PORT)

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Builds the province database sanbufu_bench on first use (BENCH_DATABASE_URL), then writes
# bench/RESULTS.md. BENCH_ARGS: e.g. --issues 100000 --skip api.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/bench_province.py $(BENCH_ARGS)
