# flint.smtp developer entry points. Everything runs from the venvs that
# scripts/bootstrap.sh creates under .venv/ (py311: python3 + ansible-core 2.19,
# py311-216: python3 + ansible-core 2.16, py313: pyenv 3.13 + newest ansible-core);
# bootstrap is a no-op when they are current.
#
#   make test          the full suite on every stack (what CI runs through .ci/run)
#   make unit          pytest tests/unit
#   make integration   pytest tests/integration (+ ansible-test integration targets)
#   make sanity        ansible-test sanity + ansible-test units
#   make lint          ansible-lint + the docs steps below
#   make docs          antsibull-docs lint, changelog check, docs site build (build/docsite)
#   make build         galaxy build + install + ansible-doc smoke, galaxy-importer, ansible-builder create
#   make bench         the full benchmarks (ratios vs baselines in the same run; README "Performance")
#   make demo          scripts/demo.sh
#   make clean         remove build output and caches (make distclean: the venvs too)
#
# Limit stacks with STACKS, e.g. `make unit STACKS=py313`.

SHELL := /bin/bash
.DEFAULT_GOAL := help
export STACKS

.PHONY: help bootstrap demo test unit integration sanity units lint docs build bench clean distclean

help:
	@sed -n 's/^#   make /  make /p' $(firstword $(MAKEFILE_LIST))

bootstrap:
	bash scripts/bootstrap.sh

demo:
	bash scripts/bootstrap.sh py311   # the demo needs one stack only
	bash scripts/demo.sh

test: bootstrap
	bash scripts/test.sh

unit: bootstrap
	bash scripts/test.sh unit

integration: bootstrap
	bash scripts/test.sh integration

sanity: bootstrap
	bash scripts/test.sh sanity units

units: bootstrap
	bash scripts/test.sh units

lint: bootstrap
	bash scripts/test.sh lint docs

docs: bootstrap
	bash scripts/test.sh docs

build: bootstrap
	bash scripts/test.sh build

bench: bootstrap
	BENCH_ARGS="$${BENCH_ARGS-}" FLINT_BENCH_SSH="$${FLINT_BENCH_SSH-1}" bash scripts/test.sh bench

clean:
	@# Stop test Postfix instances first: their queue and Maildir live in build/ (or /tmp, see postfix.sh).
	@for d in build/testhosts/postfix build/testhosts/pytest-integration-*/postfix; do \
		[ -d "$$d" ] && FLINT_POSTFIX_STATE_DIR="$$PWD/$$d" bash scripts/testhosts/postfix.sh clean; true; \
	done
	rm -rf build tests/output .ansible collections .pytest_cache .hypothesis changelogs/.plugin-cache.yaml
	find . -path ./.venv -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf .venv
