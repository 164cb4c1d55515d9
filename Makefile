# Two commands for a newcomer: `make run` and `make test`; `make check` is the quick loop while
# editing. Everything else is installed here. Test tiers: docs/testing.md.
# npm runs with --ignore-scripts: the Auth emulator needs no native add-on, and building re2
# from source would take minutes on a small machine.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TASKS_VENV := .venv-tasks
CHECKOV_VENV := .venv-checkov
PROVIDER_SCHEMAS := .provider-schemas

.PHONY: install run check test test-unit test-deploy test-component test-stack test-slow test-stacks lint typecheck terraform-check package clean init plan deploy bootstrap teardown client chromium

install: $(VENV)/.installed $(TASKS_VENV)/.installed node_modules/.installed $(PROVIDER_SCHEMAS)/.installed chromium

# Headless Chromium loads the API reference page in a test (Debian's package; needs root or sudo).
chromium:
	@command -v chromium >/dev/null || { \
	  sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends chromium; }

# uv installs the three virtual environments: pip took half a minute per environment here, uv a few
# seconds. pip only bootstraps uv, at the version constraints.txt pins.
UV := $(VENV)/bin/uv
UV_PIP := $(UV) pip install --quiet --compile-bytecode

$(UV): constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv -c constraints.txt
	touch $@

# Last step: the project itself, editable, for the `wellness-ops` console script.
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml $(UV)
	$(UV_PIP) --python $(PY) -r requirements-dev.txt -c constraints.txt
	$(UV_PIP) --python $(PY) --no-deps -e .
	touch $@

$(TASKS_VENV)/.installed: devstack/tasks_emulator/requirements.txt $(UV)
	test -x $(TASKS_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(TASKS_VENV)
	$(UV_PIP) --python $(TASKS_VENV)/bin/python -r devstack/tasks_emulator/requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Only the schema files of the pinned provider packages (deploy/provider_schemas.py).
$(PROVIDER_SCHEMAS)/.installed: deploy/provider_schemas.json deploy/provider_schemas.py $(VENV)/.installed
	$(PY) -m deploy.provider_schemas $(PROVIDER_SCHEMAS)
	touch $@

$(CHECKOV_VENV)/.installed: terraform/requirements-checkov.txt $(UV)
	test -x $(CHECKOV_VENV)/bin/python || $(UV) venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	$(UV_PIP) --python $(CHECKOV_VENV)/bin/python -r terraform/requirements-checkov.txt
	touch $@

run: install
	$(PY) -m devstack

# Regenerates the TypeScript client's types from the document (docs/api.md, "For app developers").
client: $(VENV)/.installed node_modules/.installed
	document=$$(mktemp --suffix=.json); trap 'rm -f "$$document"' EXIT; \
	$(PY) -m gateway.openapi > "$$document"; \
	npm run --silent client-types -- "$$document" -o clients/typescript/schema.d.ts

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/actionlint .github/workflows/*.yml

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# `make test` downloads no provider, so no `terraform init/validate`: formatting, the schema
# check against the pinned providers' schema from the cdktf npm packages (deploy/tfschema.py),
# the wiring tests (tests/deploy/test_terraform.py) and checkov, whose every skip carries a written reason.
TERRAFORM_TOOLS := $(VENV)/.installed $(PROVIDER_SCHEMAS)/.installed $(CHECKOV_VENV)/.installed
define TERRAFORM_CHECK
@command -v terraform >/dev/null || { echo "terraform is not installed (needed for fmt and the wiring tests)"; exit 1; }
TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive terraform
$(PY) -m deploy.tfschema terraform
$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --compact --quiet --skip-download
endef

terraform-check: $(TERRAFORM_TOOLS)
	$(TERRAFORM_CHECK)

PYTEST := $(PY) -m pytest

# Ruff and the pure tests, failures of the last run first, with a tenth of the property examples.
# The unit tier reads node_modules too: the API reference page serves swagger-ui-dist's files.
check: $(VENV)/.installed node_modules/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PYTEST) tests/unit -m unit --ff --hypothesis-profile=dev

# Every tier, cheapest first; make stops at the first step that fails, and within a step, once a
# part fails, starts no other. Lint and typecheck need only .venv, so they run while npm installs;
# the tiers of the second step run two at a time, one per core (docs/testing.md).
SIDE_BY_SIDE := $(MAKE) --no-print-directory --output-sync=target
test:
	$(SIDE_BY_SIDE) -j4 lint typecheck install $(CHECKOV_VENV)/.installed
	$(SIDE_BY_SIDE) -j2 test-unit test-deploy test-component
	$(SIDE_BY_SIDE) test-stacks

test-unit: $(VENV)/.installed node_modules/.installed
	$(PYTEST) tests/unit -m unit

# The check and the tier in one recipe, so that `make -j2` runs them as one job, back to back,
# rather than starting another part between them.
test-deploy: $(TERRAFORM_TOOLS)
	$(TERRAFORM_CHECK)
	$(PYTEST) tests/deploy -m deploy

test-component: $(VENV)/.installed
	$(PYTEST) tests/component -m component

# The stack tiers run on two pytest-xdist workers, each with a stack of its own, whole files at a
# time in the session's order: a serial session keeps one core busy, as each test waits on a chain
# of processes. No worker starts the slow tier before both have finished the stack tier
# (tests/support/tier_barrier.py).
ON_TWO_STACKS := -n 2 --dist loadfile --no-loadscope-reorder --max-worker-restart=0

test-stack: install
	$(PYTEST) $(ON_TWO_STACKS) tests/integration tests/e2e -m stack

# The slow tier also collects the stack folders: a stack file may be marked slow as a whole.
test-slow: install
	$(PYTEST) $(ON_TWO_STACKS) tests/slow tests/integration tests/e2e -m slow

# The stack and slow tiers in one session, so each worker's stack serves both: the stack tier runs
# first and a failure in it stops the session before the slow tier (tests/support/tiers.py).
test-stacks: install
	$(PYTEST) $(ON_TWO_STACKS) tests/integration tests/e2e tests/slow -m "stack or slow"

package: $(VENV)/.installed
	$(PY) -m deploy.package

# Deploy (docs/deploy.md, "Pipeline"); the workflows run these. Not part of `make test`.
# TFVARS is relative to terraform/; empty when the variables come from TF_VAR_* (the workflows).
TFVARS ?= prod.tfvars
TF_STATE_BUCKET ?=
TF_STATE_PREFIX ?= wellness/prod
TF_LOCK ?= true
TF := TF_IN_AUTOMATION=1 terraform -chdir=terraform
PLAN_VAR := $(PY) -m deploy.plan var

init:
	@test -n "$(TF_STATE_BUCKET)" || { echo "TF_STATE_BUCKET is not set: the Cloud Storage bucket of the Terraform state"; exit 1; }
	$(TF) init -input=false -backend-config=bucket=$(TF_STATE_BUCKET) -backend-config=prefix=$(TF_STATE_PREFIX)

plan: package init
	$(TF) plan -input=false -lock=$(TF_LOCK) -lock-timeout=10m $(if $(TFVARS),-var-file=$(TFVARS)) -out=plan.tfplan
	$(PY) -m deploy.plan summary plan.tfplan

# Applies exactly terraform/plan.tfplan; after a failed apply, the logs of the builds that failed.
deploy: $(VENV)/.installed
	@test -f terraform/plan.tfplan || { echo "terraform/plan.tfplan is missing: run make plan first"; exit 1; }
	@started=$$(date -u +%Y-%m-%dT%H:%M:%SZ); \
	$(TF) apply -input=false -lock-timeout=10m plan.tfplan || { \
	  echo "terraform apply failed; Cloud Builds that failed since $$started:"; \
	  $(PY) -m deploy.build_logs --project "$$($(PLAN_VAR) project plan.tfplan)" \
	    --region "$$($(PLAN_VAR) region plan.tfplan)" --since "$$started"; \
	  exit 1; }
	$(PY) -m deploy.smoke "https://$$($(PLAN_VAR) domain plan.tfplan)"

# A fresh project's first deploy, in the order Google requires; safe to run again
# (docs/deploy.md, "First deploy"). Configuration and secret values come from the environment.
bootstrap: package
	$(PY) -m deploy.bootstrap

# Clears Identity Platform's blocking triggers, then terraform destroy (asks to confirm); the
# Firestore database and its data stay (docs/deploy.md, "Teardown").
teardown: $(VENV)/.installed
	$(PY) -m deploy.teardown

clean:
	rm -rf dist .pytest_cache .mypy_cache .ruff_cache .devstack/terraform-locals $(PROVIDER_SCHEMAS)
