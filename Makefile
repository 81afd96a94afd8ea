# Two entry points for a newcomer: `make serve` and `make test`. Everything else is a step they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TRAIN_PINS := server/hf_train_mcp/training/requirements-train.txt

.PHONY: serve test lint format bench clean

# Setup output goes to stderr: over stdio, stdout is the MCP wire.
# Recipe lines are silenced (@) too: make echoes them on stdout.
$(BIN)/hf-train-mcp: pyproject.toml
	@echo "setting up $(VENV) (once)..." >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install -q --upgrade pip >&2
	@$(BIN)/python -m pip install -q -e . >&2
	@touch $@

serve: $(BIN)/hf-train-mcp
	@exec $(BIN)/hf-train-mcp $(ARGS)

# torch comes from the pins (a CPU build of 2.13.0 where one is on disk), before anything that
# would otherwise pull a multi-GB CUDA build.
$(VENV)/.test-env: $(BIN)/hf-train-mcp pyproject.toml $(TRAIN_PINS)
	$(BIN)/python -m pip install -q -r $(TRAIN_PINS)
	$(BIN)/python -m pip install -q -e ".[test]" -r $(TRAIN_PINS)
	touch $@

# Two pytest workers (pytest-xdist): most tests wait on subprocesses, loopback doubles or back-off sleeps,
# so two workers halve the suite's time on a 2-core machine (measured: 875 s -> 473 s, all passing).
PYTEST_WORKERS ?= 2

test: $(VENV)/.test-env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.test-env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.test-env
	$(BIN)/ruff format server tests benchmarks

bench: $(VENV)/.test-env
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache

# Slow checks, outside `make test`:
# `make coverage`: the whole suite (slow tests included) with line and branch coverage of the package.
# `make mutation`: mutmut on each core module with its own fast tests ([tool.mutmut.suites] in pyproject.toml;
# `make mutation MODULES=hardware/memory.py` for one), then the one-line bugs of issue 18 re-applied one by one
# (tests/mutation/known_mutants.py); both print what survived (equivalent survivors: tests/mutation/equivalent/).
.PHONY: coverage mutation
coverage: $(VENV)/.test-env
	$(BIN)/python -m pytest --cov=hf_train_mcp --cov-branch --cov-report=term-missing:skip-covered \
		--durations=15 $(PYTEST_ARGS); status=$$?; $(BIN)/python tests/coverage_totals.py; exit $$status

mutation: $(VENV)/.test-env
	$(BIN)/python -m pip install -q -e ".[test,mutation]" -r $(TRAIN_PINS)
	$(BIN)/python tests/mutation/run_mutmut.py $(MODULES)
	$(BIN)/python tests/mutation/known_mutants.py
