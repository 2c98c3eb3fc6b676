# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_MODULE ?= server/cowork/engine/engine.py

.PHONY: install demo test lint typecheck pytest bench clean editor-deps

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

# What the editor tests drive: Debian's Neovim 0.7 (installed once; needs root or sudo).
editor-deps:
	@command -v nvim >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "make test needs Neovim: apt-get install neovim (as root)" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq neovim >/dev/null; }

pytest: $(STAMP) editor-deps
	$(BIN)/python -m pytest tests -q -n 2

test: lint typecheck pytest test-vscode

bench: $(STAMP)
	$(BIN)/python bench/latency.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis server/*.egg-info

# --- client-vscode (owned by the extension work) ---
VSCODE_DIR  := client-vscode
VSCODE_DEPS := $(VSCODE_DIR)/node_modules/.package-lock.json

.PHONY: vsix test-vscode

$(VSCODE_DEPS): $(VSCODE_DIR)/package.json $(VSCODE_DIR)/package-lock.json
	cd $(VSCODE_DIR) && npm ci --no-audit --no-fund
	@touch $@

# The extension package: client-vscode/cowork-VERSION.vsix
vsix: $(VSCODE_DEPS)
	cd $(VSCODE_DIR) && npm run package

# Type check, lint, unit tests, the .vsix, then the end-to-end run in real VS
# Code (code-server + chromium, installed on first use) against this repo's server.
test-vscode: $(VSCODE_DEPS) $(STAMP)
	cd $(VSCODE_DIR) && npm run check && npm run build && npm run package
	cd $(VSCODE_DIR) && npm run e2e:install && npm run e2e
