# The two commands of the README: `make demo` and `make test`. Both create .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNS ?= 100000

.PHONY: demo test test-fast notebooks bench lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install (a plain, non-editable install, as a user would do).
$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet .
	touch $@

# Development install: editable, with the test, lint and notebook tools.
$(VENV)/.dev: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# Benchmark install: the development install and the optional peers (NegMAS, numba).
$(VENV)/.bench: $(VENV)/.dev pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/negosim run package_2007 --runs $(RUNS) --seed 7 \
		--out out/package_2007.parquet --plot out/package_2007.png

test: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# A quick check for contributors: lint, the layers and the tests marked fast (under 2 minutes).
test-fast: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m fast -p no:nbmake -o addopts="-ra --strict-markers" tests

# Run the notebooks as make test does and save them with their outputs (they are committed so).
notebooks: $(VENV)/.dev
	$(BIN)/python notebooks/execute.py

bench: $(VENV)/.bench
	mkdir -p benchmarks/results
	$(BIN)/python -m pytest benchmarks --benchmark-only \
		--benchmark-json=benchmarks/results/latest.json -p no:cacheprovider
	$(BIN)/python benchmarks/report.py benchmarks/results/latest.json > benchmarks/results/latest.md
	cat benchmarks/results/latest.md

lint: $(VENV)/.dev
	$(BIN)/ruff check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) out build dist .pytest_cache .ruff_cache .hypothesis .benchmarks
