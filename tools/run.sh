#!/usr/bin/env bash
# One command for the main job: a local Odoo 18.0 with billing_specialist and its demo data,
# served on http://localhost:8069. The first run creates the database; later runs reuse it.
#   BILLING_DB (default billing_demo), BILLING_PORT (default 8069), BILLING_RESET=1 to rebuild the database,
#   BILLING_LONGPOLL_PORT (Odoo's live-update port; default BILLING_PORT + 3, 8072 beside 8069), so that a second
#   server on other ports does not collide with the first. The test and lint tools are not installed here (test.sh).
set -euo pipefail
source "$(dirname "$0")/common.sh"

DB="${BILLING_DB:-billing_demo}"
PORT="${BILLING_PORT:-8069}"
LONGPOLL_PORT="${BILLING_LONGPOLL_PORT:-$((PORT + 3))}"

ensure_odoo
ensure_postgres
ensure_wkhtmltopdf
ADDONS="$(odoo_addons_path)"

if [ "${BILLING_RESET:-0}" = "1" ] && db_exists "$DB"; then
    say "Dropping $DB (BILLING_RESET=1)."
    dropdb "$DB"
fi
if db_exists "$DB"; then
    say "Reusing database $DB; updating billing_specialist."
    odoo_cmd server -d "$DB" --addons-path="$ADDONS" -u billing_specialist --stop-after-init --log-level=warn
else
    say "Creating database $DB with billing_specialist and demo data (about 2 minutes on 2 cores)."
    odoo_cmd server -d "$DB" --addons-path="$ADDONS" -i billing_specialist --stop-after-init --log-level=warn
fi

# The web client's asset bundles (style sheets and scripts of the login page and the back office) are built on
# their first request: built here, the first login does not wait for them (28 s on a loaded 2-core machine).
# Each bundle already built for the current files is found and kept; a changed file makes a new one.
say "Building the web client's asset bundles."
odoo_cmd shell -d "$DB" --addons-path="$ADDONS" --no-http --log-level=warn >/dev/null <<'PY' || say "WARNING: the asset bundles were not built; the first login builds them."
for name, css, js in (
    ("web.assets_frontend", True, False),
    ("web.assets_frontend_minimal", False, True),
    ("web.assets_frontend_lazy", False, True),
    ("web.assets_web", True, True),
    ("web.assets_web_print", True, False),
):
    bundle = env["ir.qweb"]._get_asset_bundle(name, css=css, js=js)
    if css:
        bundle.css()
    if js:
        bundle.js()
env.cr.commit()
PY

cat >&2 <<MSG

  Billing Specialist is served on http://localhost:$PORT  (Ctrl-C stops it)
    back office, billing manager:    admin / admin
    back office, billing manager without Administration: manager / manager
    back office, billing specialist: billing / billing
    portal customer (Harbor Supplies): portal / portal
    portal customer on credit hold (Redwood Builders): redwood / redwood

MSG
exec "$PYTHON" -m odoo server -d "$DB" --db-filter="^$DB\$" --addons-path="$ADDONS" \
    --http-interface=127.0.0.1 --http-port="$PORT" --gevent-port="$LONGPOLL_PORT" --log-level=info
