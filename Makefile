# One entry point for developers and CI alike: every workflow job calls these targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENVS := .venvs
PORT ?= 8080
MODEL_DIR ?= models
ESTIMATOR ?= logistic_regression
UV_VERSION := 0.13.9
# The gates and the gateway are the product; onnxruntime must not phone home.
export ORT_DISABLE_TELEMETRY := 1
export PYTHONDONTWRITEBYTECODE := 1

# Offline: no policy download, no version check. Every skip is justified where it is made.
CHECKOV := CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(VENVS)/checkov/bin/checkov --quiet --compact --skip-download
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 --no-header --quiet

.PHONY: help test lint pytest model gates inspect serve lock graphviz sizes clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(VENVS)/baseline/.installed: bench/baselines/baseline.lock
	rm -rf $(VENVS)/baseline
	$(PYTHON) -m venv $(VENVS)/baseline
	$(VENVS)/baseline/bin/python -m pip install --quiet --require-hashes --no-deps -r $<
	touch $@

# A venv per lock file; rebuilt from scratch when its lock changes, so it holds
# exactly what the lock says and nothing left over from an older lock.
$(VENVS)/%/.installed: %.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required, found " + sys.version.split()[0])'
	rm -rf $(VENVS)/$*
	$(PYTHON) -m venv $(VENVS)/$*
	$(VENVS)/$*/bin/python -m pip install --quiet --require-hashes --no-deps -r $<
	touch $@

graphviz: ## install graphviz (dot) when it is missing
	@command -v dot >/dev/null || { \
	  echo "installing graphviz (needed for graph pictures)"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends graphviz >/dev/null; }

lint: $(VENVS)/dev/.installed $(VENVS)/checkov/.installed ## flake8, hadolint, checkov
	$(VENVS)/dev/bin/flake8 export gateway tests bench
	$(VENVS)/dev/bin/hadolint Dockerfile.train Dockerfile.serve
	$(CHECKOV) --framework dockerfile -f Dockerfile.train -f Dockerfile.serve
	$(CHECKOV) --framework terraform -d infra

pytest: $(VENVS)/dev/.installed graphviz
	$(VENVS)/dev/bin/python -m pytest $(PYTEST_ARGS)

test: lint pytest ## install the dev lock, lint, run every test

model: $(VENVS)/train/.installed ## train, export, run the parity and accuracy gates, write the model card
	$(VENVS)/train/bin/python -m export build --estimator $(ESTIMATOR) --out $(MODEL_DIR)

gates: $(VENVS)/train/.installed ## run the parity and accuracy gates against the committed model
	$(VENVS)/train/bin/python -m export gates --model $(MODEL_DIR)/iris.onnx --card $(MODEL_DIR)/iris.json

serve: $(VENVS)/serve/.installed ## serve the committed model on port 8080 (PORT=...) from the serve lock alone
	GATEWAY_PORT=$(PORT) $(VENVS)/serve/bin/python -m gateway

inspect: $(VENVS)/train/.installed graphviz ## print the ONNX graph and draw it to models/iris.svg
	$(VENVS)/train/bin/python -m export inspect $(MODEL_DIR)/iris.onnx --format svg --output $(MODEL_DIR)/iris.svg

$(VENVS)/uv/bin/uv:
	$(PYTHON) -m venv $(VENVS)/uv
	$(VENVS)/uv/bin/python -m pip install --quiet uv==$(UV_VERSION)

# Compile into a copy (uv prefers the pins already in its output file) and replace
# a lock only when it changed, so an unchanged lock does not rebuild its venv.
define compile_lock
	cp $(1) $(1).new 2>/dev/null || true
	$(VENVS)/uv/bin/uv pip compile pyproject.toml --group $(2) $(3) $(LOCK_FLAGS) -o $(1).new
	@if cmp -s $(1) $(1).new; then rm $(1).new; else mv $(1).new $(1); echo "updated $(1)"; fi
endef

lock: $(VENVS)/uv/bin/uv ## regenerate the hash-pinned lock files from pyproject.toml
	$(call compile_lock,serve.lock,serve,)
	$(call compile_lock,train.lock,train,-c serve.lock)
	$(call compile_lock,dev.lock,dev,-c serve.lock -c train.lock)
	$(call compile_lock,checkov.lock,checkov,)
	$(call compile_lock,bench/baselines/baseline.lock,baseline,-c train.lock)

sizes: $(VENVS)/serve/.installed $(VENVS)/train/.installed $(VENVS)/baseline/.installed ## installed size of each dependency set
	$(PYTHON) bench/sizes.py $(VENVS)/serve $(VENVS)/train $(VENVS)/baseline

clean: ## remove the venvs and caches
	rm -rf $(VENVS) .pytest_cache
