#!/usr/bin/env bash
# ruff (pyflakes, pycodestyle, isort, bugbear) and pylint-odoo (OCA's rules for Odoo 18.0); zero errors allowed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_python_deps
cd "$REPO_ROOT"
say "ruff"
"$PYTHON" -m ruff check billing_specialist billing_specialist_queue tools bench
"$PYTHON" -m ruff format --check billing_specialist billing_specialist_queue tools bench
say "pylint-odoo"
"$PYTHON" -m pylint --rcfile=.pylintrc billing_specialist billing_specialist_queue
say "threat model references"
"$PYTHON" tools/check_threat_model.py
