# paywatch: set-up, demo, tests. `make demo` and `make test` work on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSTEM_TOOLS := prometheus promtool prometheus-alertmanager amtool

.PHONY: demo test setup system-deps lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

system-deps:
	@bash scripts/install-system-deps.sh $(SYSTEM_TOOLS)

setup: system-deps $(STAMP)

demo: setup
	$(BIN)/paywatch demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: setup
	@bash scripts/install-system-deps.sh prometheus-blackbox-exporter mtail
	$(BIN)/python benchmarks/probe_vs_blackbox.py
	$(BIN)/python benchmarks/authlog_vs_mtail.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
