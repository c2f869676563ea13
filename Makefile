# Short targets with the words people expect. Everything runs from .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Tests and screenshots render offscreen; `make run` uses the real display.
HEADLESS := QT_QPA_PLATFORM=offscreen

.PHONY: venv run test test-fast lint bench soak screenshots i18n package clean

venv: $(BIN)/.installed
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[server,desktop,dev]'
	touch $@

# make run PORT=8100 (or PORT=8100 make run); `make run --port` would be an option to make.
run: venv
	$(BIN)/python packaging/run_demo.py$(if $(PORT), --port $(PORT))

# Qt tests get processes of their own: once a QApplication exists, pytest-qt
# pumps Qt events after every later test, and leftovers of closed qasync loops
# have crashed unrelated tests that way (a segfault seen 1 run in 3).
# TEST_WORKERS processes share the work (pytest-xdist, a module per worker at a
# time); the tests marked serial measure a server's memory and run alone after.
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadscope
test: venv
	$(HEADLESS) $(BIN)/python -m pytest $(XDIST) -m 'not serial' --ignore=tests/desktop
	$(HEADLESS) $(BIN)/python -m pytest -m serial --ignore=tests/desktop
	$(HEADLESS) $(BIN)/python -m pytest $(XDIST) tests/desktop

test-fast: venv
	$(HEADLESS) $(BIN)/python -m pytest $(XDIST) -m 'not slow' -x --ignore=tests/desktop
	$(HEADLESS) $(BIN)/python -m pytest $(XDIST) -m 'not slow' -x tests/desktop

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy
	$(BIN)/mypy --strict packaging/*.py
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# BENCH_SOCKETS=18000 for the full run, BENCH_WORKERS=2 for 2 x 18,000 per node.
bench: venv
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m benchmarks

# 200,000 sockets connected and dropped against one worker: memory stays flat.
soak: venv
	LOGINGUARD_SOAK_SOCKETS=200000 $(BIN)/python -m pytest -s tests/server/test_gc_soak.py

screenshots: venv
	$(HEADLESS) $(BIN)/python -m desktop_app.screenshots docs/img

i18n: venv
	$(BIN)/python -m desktop_app.i18n.build

package: venv
	$(BIN)/pip install -q -e '.[package]'
	$(HEADLESS) $(BIN)/python packaging/build.py

clean:
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache
