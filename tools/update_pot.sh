#!/usr/bin/env bash
# Regenerate the .pot of billing_specialist (and of the glue addons: billing_specialist_queue with queue_job,
# billing_specialist_sale with sale) from scratch databases.
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

# The glue addon's terms, from a database with OCA's queue_job (installed from the package index when missing).
ensure_queue_job
QUEUE_ADDONS="$ADDONS,$(queue_job_addons_dir)"
mkdir -p "$REPO_ROOT/billing_specialist_queue/i18n"
dropdb --if-exists "${DB}_queue" >/dev/null 2>&1
odoo_cmd server -d "${DB}_queue" --addons-path="$QUEUE_ADDONS" -i billing_specialist_queue --without-demo=all \
    --stop-after-init --log-level=warn
odoo_cmd server -d "${DB}_queue" --addons-path="$QUEUE_ADDONS" \
    --i18n-export="$REPO_ROOT/billing_specialist_queue/i18n/billing_specialist_queue.pot" \
    --modules=billing_specialist_queue --stop-after-init --log-level=warn 2>&1 | tee "$log" >&2
dropdb "${DB}_queue"
grep -q "Failed to extract terms" "$log" \
    && die "some terms of billing_specialist_queue could not be extracted (see the log above)."
say "Wrote billing_specialist_queue/i18n/billing_specialist_queue.pot"

# The sale glue's terms, from a database with Odoo's sale (which installs billing_specialist_sale with it).
dropdb --if-exists "${DB}_sale" >/dev/null 2>&1
odoo_cmd server -d "${DB}_sale" --addons-path="$ADDONS" -i sale,billing_specialist_sale --without-demo=all \
    --stop-after-init --log-level=warn
odoo_cmd server -d "${DB}_sale" --addons-path="$ADDONS" \
    --i18n-export="$REPO_ROOT/billing_specialist_sale/i18n/billing_specialist_sale.pot" \
    --modules=billing_specialist_sale --stop-after-init --log-level=warn 2>&1 | tee "$log" >&2
dropdb "${DB}_sale"
grep -q "Failed to extract terms" "$log" \
    && die "some terms of billing_specialist_sale could not be extracted (see the log above)."
say "Wrote billing_specialist_sale/i18n/billing_specialist_sale.pot"
