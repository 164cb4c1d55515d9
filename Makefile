# Two commands for a newcomer: `make run` and `make test`. Everything else is installed here.
# npm runs with --ignore-scripts: the Auth emulator needs no native add-on, and building re2
# from source would take minutes on a small machine.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TASKS_VENV := .venv-tasks
CHECKOV_VENV := .venv-checkov

.PHONY: install run test lint typecheck terraform-check package clean

install: $(VENV)/.installed $(TASKS_VENV)/.installed node_modules/.installed

# Last step: the project itself, editable, for the `wellness-ops` console script.
$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(TASKS_VENV)/.installed: devstack/tasks_emulator/requirements.txt
	test -x $(TASKS_VENV)/bin/python || $(PYTHON) -m venv $(TASKS_VENV)
	$(TASKS_VENV)/bin/pip install --quiet --disable-pip-version-check -r devstack/tasks_emulator/requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed: terraform/requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r terraform/requirements-checkov.txt
	touch $@

run: install
	$(PY) -m devstack

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# Providers cannot be downloaded here, so no `terraform init/validate`: formatting, the schema
# check against the pinned providers' schema from the cdktf npm packages (devstack/tfschema.py),
# the wiring tests (tests/unit/test_terraform.py) and checkov, whose every skip carries a written reason.
terraform-check: $(VENV)/.installed node_modules/.installed $(CHECKOV_VENV)/.installed
	@command -v terraform >/dev/null || { echo "terraform is not installed (needed for fmt and the wiring tests)"; exit 1; }
	TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive terraform
	$(PY) -m devstack.tfschema terraform
	$(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --compact --quiet --skip-download

test: install lint typecheck terraform-check
	$(PY) -m pytest

package: $(VENV)/.installed
	$(PY) -m devstack.package

clean:
	rm -rf dist .pytest_cache .mypy_cache .ruff_cache
