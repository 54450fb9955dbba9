#!/usr/bin/env bash
# ruff (pyflakes, pycodestyle, isort, bugbear) and pylint-odoo (OCA's rules for Odoo 18.0); zero errors allowed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ensure_python_deps
cd "$REPO_ROOT"
say "ruff"
"$PYTHON" -m ruff check billing_specialist billing_specialist_queue billing_specialist_sale tools bench
"$PYTHON" -m ruff format --check billing_specialist billing_specialist_queue billing_specialist_sale tools bench
say "pylint-odoo"
"$PYTHON" -m pylint --rcfile=.pylintrc billing_specialist billing_specialist_queue billing_specialist_sale
say "threat model references"
"$PYTHON" tools/check_threat_model.py
