# The README's two commands: `make demo` and `make test`. Both build the environment from nothing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
AS_OF  ?= 2023-02-28
FROM   ?= 2022-01
OUT    ?= reports
# uv: the one on PATH, else a copy fetched once into UV_BOOT; USE_UV=0 installs with pip only.
UV     ?= $(shell command -v uv 2>/dev/null)
UV_BOOT ?= $(HOME)/.cache/audit-toolkit-uv
USE_UV ?= 1
# Let the venv's processes cache bytecode even where the shell sets PYTHONDONTWRITEBYTECODE (as this
# project's CI machines do): the first process compiles only the modules it imports, once, and every
# later process (the GX helper, pool workers, the next command) reads them. Compiling the whole venv
# at install (uv --compile-bytecode) costs far more than the few hundred modules an audit imports.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup demo test lint typecheck browser lock samples bench clean

# The environment comes from requirements.lock. With uv (on PATH, or fetched once from PyPI into
# $(UV_BOOT) by pip) it is built from the package cache in seconds; without uv, pip installs the
# same lock one package at a time (USE_UV=0 forces that path). environment.yml installs the same lock.
$(STAMP): requirements.lock pyproject.toml
	@set -e; uv="$(UV)"; \
	if [ -z "$$uv" ] && [ "$(USE_UV)" != "0" ]; then \
	  if [ -x "$(UV_BOOT)/bin/uv" ]; then uv="$(UV_BOOT)/bin/uv"; \
	  elif $(PYTHON) -m pip install --quiet --disable-pip-version-check --target "$(UV_BOOT)" uv >/dev/null 2>&1 \
	       && [ -x "$(UV_BOOT)/bin/uv" ]; then uv="$(UV_BOOT)/bin/uv"; \
	  else echo "uv is not available: installing with pip (slower)."; fi; \
	fi; \
	if [ -n "$$uv" ] && [ "$(USE_UV)" != "0" ]; then \
	  echo "Creating $(VENV) with $$uv from requirements.lock"; \
	  "$$uv" venv --quiet --allow-existing --seed --python "$(PYTHON)" "$(VENV)"; \
	  "$$uv" pip install --quiet --python "$(PY)" -r requirements.lock; \
	  "$$uv" pip install --quiet --python "$(PY)" --no-deps -e .; \
	else \
	  test -x "$(PY)" || $(PYTHON) -m venv "$(VENV)"; \
	  "$(PY)" -m pip install --quiet --upgrade pip; \
	  "$(PY)" -m pip install --quiet -r requirements.lock; \
	  "$(PY)" -m pip install --quiet --no-deps -e .; \
	fi
	@touch $(STAMP)

setup: $(STAMP)

## Audit the bundled sample batches (five wards of the former Bắc Kạn city, 2022–2023; the 2025–2026
## sample) and print where results are. The two batches are independent: the 2025–2026 one runs beside
## the first (a core each) and its messages are printed when it is done; either failing fails the demo.
demo: setup
	@mkdir -p $(OUT)
	@set -e; log="$(OUT)/.demo-sample-2026.log"; \
	$(VENV)/bin/audit-toolkit audit data/sample-2026 --as-of 2026-06-30 --from 2025-01 --out $(OUT)/sample-2026 >"$$log" 2>&1 & \
	second=$$!; \
	echo "$(VENV)/bin/audit-toolkit audit data/sample --as-of $(AS_OF) --from $(FROM) --out $(OUT)"; \
	first=0; $(VENV)/bin/audit-toolkit audit data/sample --as-of $(AS_OF) --from $(FROM) --out $(OUT) || first=$$?; \
	status=0; wait $$second || status=$$?; \
	echo "$(VENV)/bin/audit-toolkit audit data/sample-2026 --as-of 2026-06-30 --from 2025-01 --out $(OUT)/sample-2026"; \
	cat "$$log"; rm -f "$$log"; \
	if [ $$first -ne 0 ]; then exit $$first; fi; exit $$status

## Full test suite: unit, property, sample-ward golden files, notebooks and the browser test.
test: setup browser
	$(PY) -m ruff check audit_toolkit tests bench data
	$(PY) -m mypy
	$(PY) -m pytest -n 2 --dist loadfile

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: setup
	$(PY) -m mypy

## Headless Chromium for the browser test (Debian packages). Best effort: the test skips with a message if absent.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian chromium for the browser test…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "Could not install chromium: the browser test will be skipped."; \
	fi

## Regenerate the sample wards from their seeded generators (2022–2023 batch and 2025–2026 batch).
samples: setup
	$(PY) data/generate_samples.py
	$(PY) data/generate_samples_2026.py

## Province-sized benchmark (run by hand, not part of the tests).
bench: setup
	$(PY) bench/run_bench.py

lock:
	$(PY) -m pip freeze --exclude-editable | sed '1i # Pinned, resolved set (pip freeze). Regenerate: make lock. Direct dependencies: requirements.in' > requirements.lock

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache
