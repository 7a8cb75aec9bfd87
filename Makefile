# Sluice: `make demo` runs the main job on embedded defaults; `make test` runs the whole suite.
# Both install what they need (uv, Python deps, the Kafka broker) and are idempotent.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
CACHE := $(CURDIR)/.cache
UV := $(shell command -v uv 2>/dev/null || echo $(CACHE)/uv/bin/uv)
PYTEST_ARGS ?=

.PHONY: help deps kafka kafka-up tools demo test lint typecheck arch unit integration bench generate format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(CACHE)/uv/bin/uv:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(CACHE)/uv uv

# --compile-bytecode: every dependency's .pyc at install, as in the image (UV_COMPILE_BYTECODE);
# a shell with PYTHONDONTWRITEBYTECODE=1 would otherwise compile them again at each start.
.venv/.synced: uv.lock pyproject.toml $(wildcard */pyproject.toml */*/pyproject.toml) | $(UV)
	$(UV) sync --frozen --all-packages --compile-bytecode
	touch $@

deps: .venv/.synced ## install Python dependencies (locked)

kafka: ## fetch the Apache Kafka broker jars from Maven Central
	bash deploy/kafka/install.sh

kafka-up: deps kafka ## run the shipped Kafka broker on localhost:9092 until Ctrl-C (sluice kafka)
	$(UV) run --frozen sluice kafka

tools: ## offline validators used by the deployment tests
	bash deploy/tools/install-kustomize.sh
	bash deploy/tools/install-compose-validate.sh
	bash deploy/tools/install-promtool.sh

demo: deps ## Sluice's main job: four services + simulated IB Gateway on the in-memory bus
	$(UV) run --frozen sluice demo

lint: deps ## ruff lint and format check
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: deps ## mypy --strict on our code
	$(UV) run --frozen mypy

arch: deps ## import boundaries alone (make test checks them too, in tests/architecture)
	$(UV) run --frozen lint-imports --config .importlinter

test: deps kafka tools lint typecheck ## everything: lint, types, architecture, unit, contract, integration, e2e
	$(UV) run --frozen pytest $(PYTEST_ARGS)

bench: deps kafka ## print performance figures (not a test)
	$(UV) run --frozen python -m bench

generate: deps ## regenerate proto/schemas and proto/asyncapi.json from the Structs
	$(UV) run --frozen python -m sluice_proto.generate

format: deps ## apply ruff formatting and fixes
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

clean: ## remove the virtualenv and caches (keeps downloaded jars and the uv cache)
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
