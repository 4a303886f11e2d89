# The two set-up commands: `make run` and `make test` (both install on first use).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test lint bench

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip >&2
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]' >&2
	@rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	@$(BIN)/stdtutor run

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

test: $(STAMP) lint
	@$(BIN)/pytest -q

bench: $(STAMP)
	@$(BIN)/python -m bench.run
	@$(BIN)/python -m bench.flood
	@$(BIN)/python -m bench.robustness
