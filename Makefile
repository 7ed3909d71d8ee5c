# Two commands set everything up on a fresh machine with Python 3.11:
#   make run   - the system with its demo, on embedded defaults (SQLite, tasks in process)
#   make test  - the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run run-stack test lint format demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py simulate_fieldwork gt2024-kazakhstan --respondents 300 --seed 2024 --if-empty
	$(BIN)/python manage.py simulate_fieldwork gt2024-china --respondents 450 --seed 2024 --if-empty
	$(BIN)/python manage.py local_admin
	$(BIN)/python manage.py demo_users
# Links in the messages written to var/mail/ lead to this server, whatever its port.
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The production stack (gunicorn, Celery worker and beat) on the machine's PostgreSQL and
# Redis, DEBUG off; see README, "Production".
run-stack: $(VENV)/.installed
	HOST=$(HOST) PORT=$(PORT) bin/run-stack

# axe-core for the browser tests' accessibility checks, and ODK's form engine
# (@getodk/xforms-engine, with jsdom) as the OpenRosa server's client in tests/openrosa, at
# the versions and digests package-lock.json pins (docs/decisions/0021). Without npm the
# tests that need them skip, saying so (and fail in CI).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "npm is not installed: the accessibility checks and ODK engine tests will be skipped"; \
	fi

test: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles node_modules
