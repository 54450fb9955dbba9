#!/usr/bin/env bash
# Regenerate billing_specialist/i18n/billing_specialist.pot from a scratch database with the addon installed.
set -euo pipefail
source "$(dirname "$0")/common.sh"
DB="${BILLING_POT_DB:-billing_pot}"
ensure_odoo
ensure_postgres
ADDONS="$(odoo_addons_path)"
dropdb --if-exists "$DB" >/dev/null 2>&1
odoo_cmd server -d "$DB" --addons-path="$ADDONS" -i billing_specialist --without-demo=all --stop-after-init --log-level=warn
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
odoo_cmd server -d "$DB" --addons-path="$ADDONS" --i18n-export="$REPO_ROOT/billing_specialist/i18n/billing_specialist.pot" \
    --modules=billing_specialist --stop-after-init --log-level=warn 2>&1 | tee "$log" >&2
dropdb "$DB"
# Odoo logs a file whose terms it could not read (e.g. an f-string inside _()) and goes on without them.
grep -q "Failed to extract terms" "$log" \
    && die "some terms could not be extracted (see the log above); the .pot misses them."
say "Wrote billing_specialist/i18n/billing_specialist.pot"
