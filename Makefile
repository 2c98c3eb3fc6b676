# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_MODULE ?= server/cowork/engine/engine.py

.PHONY: install demo test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# A real task end to end on this repository: the offline provider, or Claude
# when ANTHROPIC_API_KEY is set.
demo: $(STAMP)
	@echo "cowork: summarising $(DEMO_MODULE) ..."
	@artifact=$$($(BIN)/cowork run summarize $(DEMO_MODULE)) && \
	  echo && sed -n '/^# Summary/,/^## Size/p' "$$artifact" && echo && \
	  echo "Full artifact (with provenance and the exact prompt): $$artifact" && \
	  echo "Task history: $(BIN)/cowork tasks"

lint: $(STAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest tests -q

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/latency.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis server/*.egg-info
