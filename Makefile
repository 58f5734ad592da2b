# Two commands for a new user: `make run` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP  := $(VENV)/.installed
NPM_STAMP := contracts/node_modules/.installed

.PHONY: run test install lint contracts contracts-check migration clean

run: install
	$(BIN)/partisipro dev

test: install contracts-check
	@$(BIN)/python -m tests.preflight
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

$(NPM_STAMP): contracts/package.json contracts/package-lock.json
	# npm ci rejects this lock file: npm leaves the other platforms' optional anvil binaries out of it.
	cd contracts && npm install --no-audit --no-fund --loglevel=error
	touch $@

# Recompile the contracts and fail if the committed artifacts differ from what the sources give.
contracts-check: $(NPM_STAMP)
	cd contracts && node scripts/build.js --check

contracts: $(NPM_STAMP)
	cd contracts && node scripts/build.js

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Regenerate the initial migration from the models (pre-release only; see docs/decisions.md).
migration: install
	$(BIN)/python -m tests.regen_migration

clean:
	rm -rf $(VENV) contracts/node_modules var .pytest_cache
