# Two entry points: `make run` and `make test`. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck install clean-db bench bench-ci

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

# Speed on a generated database (a temporary SQLite file; see README « Performance »), for humans:
# about 7 minutes here at 100,000 licences with BENCH_ARGS="--browser --json bench.json".
bench: $(STAMP)
	$(PY) -m benchmarks --licences 100000 $(BENCH_ARGS)

# The same at 2,000 licences (about 25 s), run once by .ci/run: it proves the benchmark still works;
# nothing fails on a duration.
bench-ci: $(STAMP)
	$(PY) -m benchmarks --licences 2000 --runs 3
