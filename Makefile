# The two set-up commands: `make demo` (load the seed case into Neo4j) and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: venv demo test lint stop clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml setup.py loader/read/_scan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --quiet -e '.[server,dev]'
	touch $@

# Start a local Neo4j (unless NEO4J_URI points at one), load seed/, print what was loaded.
demo: venv
	@if [ -z "$$NEO4J_URI" ]; then $(BIN)/casegraph neo4j start; fi
	$(BIN)/casegraph load seed/
	$(BIN)/casegraph browser publish
	$(BIN)/casegraph browser serve --background
	$(BIN)/casegraph browser

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

stop: venv
	$(BIN)/casegraph browser stop
	$(BIN)/casegraph neo4j stop

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts
