# The two commands a new user runs: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PENNA = $(BIN)/penna

.PHONY: install demo lint test test-fast bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# llama-cpp-python compiles from source (~8 min on 2 cores) the first time; pip caches the wheel.
# llama.cpp tunes itself to the CPU it is built on, but without its AMX kernels: a CPU may report
# AMX while its kernel or sandbox has not enabled the tile state, and the first decode then dies
# with an illegal instruction (seen on this project's machines). The AVX-512 kernels stay.
export CMAKE_ARGS ?= -DCMAKE_C_FLAGS=-U__AMX_INT8__ -DCMAKE_CXX_FLAGS=-U__AMX_INT8__
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# A wheel from pip's cache may have been built on another CPU: decode a few tokens with the default
# model, and if that crashes, build llama-cpp-python again here, bypassing the cache.
LLAMA_CHECK = $(BIN)/python -c "import llama_cpp; from penna.writing.registry import default_model_path; \
  m = llama_cpp.Llama(str(default_model_path()), n_ctx=64, verbose=False); m.eval(m.tokenize(b'Bread, slowly.'))"
$(VENV)/.llama: $(VENV)/.installed
	@$(LLAMA_CHECK) 2>/dev/null || { \
	  echo "llama.cpp as installed does not run on this CPU: building it here (about 8 minutes)"; \
	  $(BIN)/pip install --quiet --no-cache-dir --force-reinstall --no-deps \
	    "llama-cpp-python==$$($(BIN)/pip show llama-cpp-python | sed -n 's/^Version: //p')" && $(LLAMA_CHECK); }
	touch $@

# Link Grammar judges grammar when penna chooses among sentences and in `penna eval`. It comes from
# Debian's package (the C library and its dictionary, called through ctypes; not on PyPI); where
# apt-get cannot run, penna works without it and says so.
GRAMMAR_CHECK = $(BIN)/python -c "from penna.writing import grammar; assert grammar.available()"
$(VENV)/.grammar: $(VENV)/.installed
	@$(GRAMMAR_CHECK) 2>/dev/null || { command -v apt-get >/dev/null && \
	  { [ "$$(id -u)" = 0 ] && SUDO= || SUDO="sudo -n"; } && \
	  { $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq link-grammar >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq link-grammar >/dev/null 2>&1; }; }; } || true
	@$(GRAMMAR_CHECK) 2>/dev/null && echo "Link Grammar: installed" || \
	  echo "Link Grammar: not installed (sudo apt-get install link-grammar); penna chooses sentences without a grammar check"
	touch $@

# The VS Code extension's build and tests need its npm packages (Node 20 is required).
clients/vscode/node_modules/.installed: clients/vscode/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node 20 to build and test the VS Code extension"; exit 1; }
	cd clients/vscode && npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed $(VENV)/.llama $(VENV)/.grammar clients/vscode/node_modules/.installed

demo: $(VENV)/.installed $(VENV)/.llama $(VENV)/.grammar
	@echo "== the sample vault's bullets (examples/winter-bullets.md):"
	@cat examples/winter-bullets.md
	@echo "== penna expand, with the embedded default model:"
	$(PENNA) expand --vault examples/sample-vault --note "Drafts/Winter loaf.md" --final < examples/winter-bullets.md

# The quality gate: ruff (style, complexity, unused noqa) and mypy (types), configured in pyproject.toml.
lint: $(VENV)/.installed
	$(BIN)/ruff check server tests
	$(BIN)/mypy

# `make test` runs the suite in two pytest-xdist workers, each taking whole files, costliest first
# (tests/conftest.py schedules them, and splits the editor-parametrised end-to-end files by editor),
# and owning one CPU, which everything it starts inherits: penna then gives the model one thread
# per worker (`config.usable_cpus`). Two workers each running a two-thread model on 2 cores made
# llama.cpp's threads spin-wait for each other. `make test WORKERS=0` runs them in this process.
WORKERS ?= 2
FAST_WORKERS ?= 2
xdist = $(if $(filter 0,$(1)),,-n $(1) --dist loadgroup)

# The gate runs first: a lint or type error fails `make test` (and CI) before the suite starts.
test: install lint
	$(BIN)/python -m pytest $(call xdist,$(WORKERS)) -W error::pytest_lsp.LspSpecificationWarning

# The quick loop while editing: no model, no server processes, no npm, nothing marked slow.
test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest $(call xdist,$(FAST_WORKERS)) -m "not model and not e2e and not slow and not shared_data"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
