# The two quickstart commands: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/microintern demo --out demo-output

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: lint
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-axe.sh
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache

benchmark: $(STAMP)
	$(BIN)/python scripts/benchmark.py --applications 100 1000
	$(BIN)/python scripts/benchmark_cohorts.py
	$(BIN)/python scripts/benchmark_sheets_calls.py --applicants 29 500 5000
