# Two entry points: `make run` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck install clean-db bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m core ensure-demo
	$(PY) -m streamlit run Home.py --server.address 127.0.0.1 --server.port 8501 --server.headless true

# Lint, types, the whole suite on SQLite, then the core suite again on a throwaway PostgreSQL.
test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest
	bash scripts/test-postgres.sh

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check core ui pages tests Home.py

typecheck: $(STAMP)
	$(PY) -m mypy

clean-db:
	rm -f db/licences.sqlite3 db/licences.sqlite3-wal db/licences.sqlite3-shm
