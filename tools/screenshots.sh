#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/screenshots/*.png): a fresh database without demo data, then the
# browser tours (headless Chromium, 1400x900) with BILLING_SCREENSHOTS set, so each tour's screenshot steps write
# their PNG. The tours build their own data. Extra arguments go to pytest (e.g. -k portal).
#   BILLING_SCREENSHOT_DB (default billing_screenshots), BILLING_SCREENSHOTS (default docs/screenshots).
set -euo pipefail
source "$(dirname "$0")/common.sh"

DB="${BILLING_SCREENSHOT_DB:-billing_screenshots}"
OUT="${BILLING_SCREENSHOTS:-$REPO_ROOT/docs/screenshots}"
LOG="$(mktemp)"
TOURS=(
    billing_specialist/tests/test_matching_review.py::TestMatchingReviewTour
    billing_specialist/tests/test_dispute_tour.py
    billing_specialist/tests/test_portal.py::TestDisputePortalTour
    billing_specialist/tests/test_reporting_tour.py
    billing_specialist/tests/test_worklist_tour.py
    billing_specialist/tests/test_cockpit_tour.py
    billing_specialist/tests/test_billing_run_tour.py
    billing_specialist/tests/test_remittance_origin.py::TestRemittanceOriginTour
    billing_specialist/tests/test_matching_fee_rules_tour.py
    billing_specialist/tests/test_outlook_tour.py
)

ensure_odoo
ensure_python_deps
ensure_postgres
ensure_chromium
ADDONS="$(odoo_addons_path)"

say "Installing billing_specialist into a fresh database $DB."
dropdb --if-exists "$DB" >/dev/null 2>&1
if ! odoo_cmd server -d "$DB" --addons-path="$ADDONS" -i billing_specialist --without-demo=all \
        --stop-after-init --log-level=warn >"$LOG" 2>&1 || grep -qE " (ERROR|CRITICAL) " "$LOG"; then
    cat "$LOG" >&2
    die "installing billing_specialist into $DB failed (log above)."
fi

say "Running the tours; screenshots go to $OUT."
mkdir -p "$OUT"
cd "$REPO_ROOT"
set +e
BILLING_SCREENSHOTS="$OUT" "$PYTHON" -m pytest "${TOURS[@]}" -p no:cacheprovider -q \
    --odoo-database="$DB" --odoo-addons-path="$ADDONS" --odoo-http "$@"
status=$?
if [ $status -eq 0 ]; then
    say "Installing sale (and with it billing_specialist_sale) into $DB; the sale glue's tours."
    odoo_cmd server -d "$DB" --addons-path="$ADDONS" -i sale --without-demo=all --stop-after-init --log-level=warn \
        >"$LOG" 2>&1 || { cat "$LOG" >&2; status=1; }
fi
if [ $status -eq 0 ]; then
    BILLING_SCREENSHOTS="$OUT" "$PYTHON" -m pytest billing_specialist_sale/tests/test_sale_hold_tour.py \
        -p no:cacheprovider -q --odoo-database="$DB" --odoo-addons-path="$ADDONS" --odoo-http "$@"
    status=$?
fi
set -e
dropdb --if-exists "$DB" >/dev/null 2>&1 || true
rm -f "$LOG"
[ $status -eq 0 ] || die "a tour failed (pytest exit $status); its screenshots may be missing or stale."
ls -l "$OUT"/*.png >&2
say "Screenshots written to $OUT; check them before committing."
