# One command each on a fresh machine: `make demo` runs the demo plant, `make test` runs every test.
.PHONY: setup demo test lint bench

setup:
	./scripts/setup.sh

demo: setup
	.venv/bin/ecogate demo

test: setup
	./scripts/services.sh
	.venv/bin/ruff check hub tests bench scripts
	.venv/bin/ruff format --check hub tests bench scripts
	.venv/bin/mypy hub
	.venv/bin/python -m pytest -q -n 2

lint: setup
	.venv/bin/ruff check hub tests bench scripts
	.venv/bin/ruff format --check hub tests bench scripts
	.venv/bin/mypy hub
	.venv/bin/python scripts/import_cycles.py