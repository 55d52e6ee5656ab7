# Boundary — the two commands a new user needs are `make run` and `make test` (§1).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test test-fast lint bench clean

# Some shells set PYTHONDONTWRITEBYTECODE: then every run recompiles the package and pytest
# re-rewrites every test module's asserts (5 s of each test run here). __pycache__ is ignored.
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

run: $(STAMP)
	@mkdir -p var
	$(BIN)/boundary migrate migrate
	$(BIN)/boundary serve

test: $(STAMP)
	$(BIN)/pytest

# Unit, contract and integration tests on SQLite: no server, no subprocess, no browser (markers
# in pyproject.toml), property tests with 20 examples, without schemathesis's plugin (only
# tests/e2e uses it; loading it costs a second). For the edit-test loop; `make test` is CI's.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not (db or e2e or ops or browser)" --hypothesis-profile=fast \
		-p no:schemathesis tests/unit tests/contract tests/integration

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports --no-cache

# `make bench SCALE=1000000` for a million users; BENCH_ARGS passes options (see bench/run.py).
SCALE ?= 10000
bench: $(STAMP)
	$(BIN)/python bench/run.py --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
