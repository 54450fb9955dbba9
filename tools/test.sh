#!/usr/bin/env bash
# One command for the tests: a fresh database with billing_specialist (no demo), the whole pytest-odoo
# suite with the HTTP server for browser tours (headless Chromium), the glue addon billing_specialist_queue's tests
# in a second database with OCA's queue_job (installed from the package index when missing), the glue addon
# billing_specialist_sale's tests in a third database with Odoo's sale, an uninstall check, then a demo install.
# Exits non-zero on any failure. Extra arguments go to pytest (e.g. -k resolution).
#   BILLING_TEST_DB (default billing_test; the run also uses ${DB}_demo, ${DB}_queue and ${DB}_sale): two runs at once need
#     two names. BILLING_SKIP_DEMO_CHECK=1 skips the demo install check.
#   BILLING_HTTP_PORT: the port of the test HTTP server (default: a free port, so two runs do not collide).
#   BILLING_FAKE_NOW=2027-12-07T10:00:00 (UTC): run everything on a shifted, ticking clock (by hand, not in CI).
set -euo pipefail
source "$(dirname "$0")/common.sh"

DB="${BILLING_TEST_DB:-billing_test}"
DEMO_DB="${DB}_demo"
QUEUE_DB="${DB}_queue"
SALE_DB="${DB}_sale"
LOG_DIR="${BILLING_LOG_DIR:-$REPO_ROOT/.test-logs}"
mkdir -p "$LOG_DIR"

ensure_odoo
ensure_python_deps
ensure_postgres
ensure_wkhtmltopdf
ensure_chromium
if [ -n "${BILLING_FAKE_NOW:-}" ]; then use_fake_now "$BILLING_FAKE_NOW"; fi
HTTP_PORT="${BILLING_HTTP_PORT:-$(free_tcp_port)}"
ADDONS="$(odoo_addons_path)"
start=$(date +%s)

install_fresh() {  # db, extra args...
    local db="$1"; shift
    dropdb --if-exists "$db" >/dev/null 2>&1
    if ! odoo_cmd server -d "$db" --addons-path="$ADDONS" -i billing_specialist --stop-after-init \
            --log-level=warn "$@" >"$LOG_DIR/install-$db.log" 2>&1 \
            || grep -qE " (ERROR|CRITICAL) " "$LOG_DIR/install-$db.log"; then
        cat "$LOG_DIR/install-$db.log" >&2
        die "installing billing_specialist into $db failed (log above)."
    fi
}

say "Installing billing_specialist into a fresh database $DB."
install_fresh "$DB" --without-demo=all
# The sale glue's stage starts from a copy of this fresh database (saves installing billing_specialist twice).
dropdb --if-exists "$SALE_DB" >/dev/null 2>&1
createdb -T "$DB" "$SALE_DB"

say "Running the test suite (pytest-odoo, with the HTTP server on port $HTTP_PORT and headless Chromium)."
cd "$REPO_ROOT"
set +e
"$PYTHON" -m pytest billing_specialist/tests -p no:cacheprovider \
    --odoo-database="$DB" --odoo-addons-path="$ADDONS" --odoo-http --odoo-extra "http-port=$HTTP_PORT" "$@"
status=$?
set -e
[ $status -eq 0 ] || die "the test suite failed (pytest exit $status)."

say "Installing queue_job and billing_specialist_queue into a fresh database $QUEUE_DB; running its tests."
ensure_queue_job
QUEUE_ADDONS="$ADDONS,$(queue_job_addons_dir)"
dropdb --if-exists "$QUEUE_DB" >/dev/null 2>&1
if ! odoo_cmd server -d "$QUEUE_DB" --addons-path="$QUEUE_ADDONS" -i billing_specialist_queue --stop-after-init \
        --log-level=warn --without-demo=all >"$LOG_DIR/install-$QUEUE_DB.log" 2>&1 \
        || grep -qE " (ERROR|CRITICAL) " "$LOG_DIR/install-$QUEUE_DB.log"; then
    cat "$LOG_DIR/install-$QUEUE_DB.log" >&2
    die "installing billing_specialist_queue into $QUEUE_DB failed (log above)."
fi
set +e
"$PYTHON" -m pytest billing_specialist_queue/tests -p no:cacheprovider \
    --odoo-database="$QUEUE_DB" --odoo-addons-path="$QUEUE_ADDONS"
status=$?
set -e
[ $status -eq 0 ] || die "the billing_specialist_queue tests failed (pytest exit $status)."
dropdb --if-exists "$QUEUE_DB"

say "Installing sale into $SALE_DB (a copy of the fresh $DB): billing_specialist_sale must come with it; its tests."
sale_start=$(date +%s)
if ! odoo_cmd server -d "$SALE_DB" --addons-path="$ADDONS" -i sale --stop-after-init \
        --log-level=warn --without-demo=all >"$LOG_DIR/install-$SALE_DB.log" 2>&1 \
        || grep -qE " (ERROR|CRITICAL) " "$LOG_DIR/install-$SALE_DB.log"; then
    cat "$LOG_DIR/install-$SALE_DB.log" >&2
    die "installing sale into $SALE_DB failed (log above)."
fi
[ "$(psql -d "$SALE_DB" -Atc "select state from ir_module_module where name = 'billing_specialist_sale'")" = "installed" ] \
    || die "installing sale did not install billing_specialist_sale (auto_install)."
set +e
"$PYTHON" -m pytest billing_specialist_sale/tests -p no:cacheprovider \
    --odoo-database="$SALE_DB" --odoo-addons-path="$ADDONS" --odoo-http --odoo-extra "http-port=$HTTP_PORT"
status=$?
set -e
[ $status -eq 0 ] || die "the billing_specialist_sale tests failed (pytest exit $status)."
dropdb --if-exists "$SALE_DB"
say "The sale glue's stage took $(( $(date +%s) - sale_start )) s."

say "Uninstalling billing_specialist from $DB and checking nothing of it is left."
"$PYTHON" "$REPO_ROOT/tools/check_install.py" -d "$DB" --addons-path="$ADDONS" --uninstall \
    || die "the uninstall check failed."

if [ "${BILLING_SKIP_DEMO_CHECK:-0}" != "1" ]; then
    say "Installing with demo data into $DEMO_DB and checking the demo."
    install_fresh "$DEMO_DB"
    "$PYTHON" "$REPO_ROOT/tools/check_install.py" -d "$DEMO_DB" --addons-path="$ADDONS" --demo \
        || die "the demo check failed."
    dropdb --if-exists "$DEMO_DB"
fi
say "All green in $(( $(date +%s) - start )) s."
