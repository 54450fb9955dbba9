# Shared by tools/run.sh and tools/test.sh: find or install what the project needs, start PostgreSQL.
# Sourced, not run. Everything here is idempotent: a second call finds everything in place and returns fast.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
ODOO_OFFICIAL_SRC="${ODOO_OFFICIAL_SRC:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}"

say() { printf '[billing_specialist] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
    command -v apt-get >/dev/null || return 1
    if [ -z "${_APT_UPDATED:-}" ]; then
        as_root apt-get update -qq >/dev/null 2>&1 || true
        _APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

odoo_version_ok() {
    "$PYTHON" -c 'import odoo.release as r, sys; sys.exit(0 if r.version_info[:2] == (18, 0) else 1)' 2>/dev/null
}

ensure_odoo() {
    if odoo_version_ok; then return 0; fi
    if "$PYTHON" -c 'import odoo' 2>/dev/null; then
        die "python3 imports an Odoo that is not 18.0; put Odoo 18.0 first on the path (PYTHON=... or PYTHONPATH=...)."
    fi
    say "Odoo 18.0 is not importable; installing it from Odoo's official source ($ODOO_OFFICIAL_SRC)."
    if ! "$PYTHON" -m pip install -q "$ODOO_OFFICIAL_SRC"; then
        die "Odoo 18.0 is not installed and could not be installed from $ODOO_OFFICIAL_SRC. Install Odoo 18.0 Community (https://www.odoo.com/documentation/18.0/administration/on_premise/source.html) so that 'python3 -c \"import odoo\"' works, then run this again."
    fi
    odoo_version_ok || die "the Odoo installed from $ODOO_OFFICIAL_SRC is not importable as 18.0."
}

ensure_python_deps() {
    local log
    log="$(mktemp)"
    if ! PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check \
            -r "$REPO_ROOT/requirements-dev.txt" >"$log" 2>&1; then
        cat "$log" >&2
        die "could not install the pinned Python tools of requirements-dev.txt (pip's output above)."
    fi
    rm -f "$log"
}

odoo_addons_path() {
    # Odoo's own addons (a source checkout keeps them beside the odoo package), then this repository.
    local root
    root="$("$PYTHON" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))')"
    if [ -f "$root/addons/account/__manifest__.py" ]; then
        printf '%s,%s' "$root/addons" "$REPO_ROOT"
    else
        printf '%s' "$REPO_ROOT"
    fi
}

ensure_postgres() {
    if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        say "Installing PostgreSQL (Debian's postgresql package)."
        apt_install postgresql || die "PostgreSQL is not installed and apt-get could not install it; install PostgreSQL 15."
    fi
    if ! pg_isready -q 2>/dev/null; then
        local cluster
        cluster="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')"
        if [ -z "$cluster" ]; then
            local version
            version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
            as_root pg_createcluster "$version" main >/dev/null || die "could not create a PostgreSQL cluster."
            cluster="$version main"
        fi
        say "Starting PostgreSQL cluster $cluster."
        # shellcheck disable=SC2086
        as_root pg_ctlcluster $cluster start || die "could not start PostgreSQL ($cluster)."
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
        pg_isready -q || die "PostgreSQL did not become ready."
    fi
    local me
    me="$(id -un)"
    if ! psql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        say "Creating the PostgreSQL role $me."
        as_root su postgres -c "createuser --superuser '$me'" || die "could not create the PostgreSQL role $me."
    fi
}

ensure_chromium() {
    if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null; then
        return 0
    fi
    say "Installing Chromium (Debian's chromium) for the browser tests."
    apt_install chromium || die "Chromium is missing and apt-get could not install it; browser tests need it."
}

ensure_wkhtmltopdf() {
    command -v wkhtmltopdf >/dev/null && return 0
    say "Installing wkhtmltopdf (Debian's package) for PDF reports."
    apt_install wkhtmltopdf || say "WARNING: wkhtmltopdf is missing; PDF statements will be served as HTML."
}

free_tcp_port() {
    # A port nobody listens on now (the kernel's pick), for a test server that must not collide with another run.
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

use_fake_now() {
    # BILLING_FAKE_NOW (e.g. 2027-12-07T10:00:00, UTC): every process of the run lives on a clock shifted to it.
    # Python through time-machine (tools/fake_now/sitecustomize.py on PYTHONPATH), Chromium through libfaketime
    # (tools/fake_now/bin/chromium first on PATH). PostgreSQL keeps the real clock: Odoo's code never asks it the date.
    local when="$1" target
    target="$(date -u -d "$when" +%s)" || die "BILLING_FAKE_NOW=$when is not a date-time (e.g. 2027-12-07T10:00:00)."
    if ! "$PYTHON" -c 'import time_machine' 2>/dev/null; then
        say "Installing time-machine (PyPI) to shift Python's clock."
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check time-machine \
            || die "could not install time-machine."
    fi
    if ! compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null && [ ! -f /usr/lib/faketime/libfaketime.so.1 ]; then
        say "Installing libfaketime (Debian's package) to shift Chromium's clock."
        apt_install libfaketime || die "could not install libfaketime."
    fi
    export BILLING_FAKE_NOW="$when"
    export BILLING_FAKE_OFFSET=$(( target - $(date -u +%s) ))
    export PYTHONPATH="$REPO_ROOT/tools/fake_now${PYTHONPATH:+:$PYTHONPATH}"
    export PATH="$REPO_ROOT/tools/fake_now/bin:$PATH"
    local seen
    seen="$("$PYTHON" -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).date())')"
    say "Clock shifted by $BILLING_FAKE_OFFSET s: Python's today is $seen (PostgreSQL keeps the real clock)."
}

odoo_cmd() {
    "$PYTHON" -m odoo "$@"
}

db_exists() {
    [ "$(psql -d postgres -Atc "select 1 from pg_database where datname = '$1'")" = "1" ]
}

queue_job_addons_dir() {
    # The folder holding queue_job (OCA, installed from the package index into odoo/addons), or nothing.
    "$PYTHON" -c 'import os, odoo.addons.queue_job as q; print(os.path.dirname(os.path.dirname(q.__file__)))' 2>/dev/null
}

ensure_queue_job() {
    # OCA wheels declare a dependency on an "odoo" distribution that the package index does not provide: --no-deps.
    # QUEUE_JOB_SPEC pins another release (e.g. 'odoo-addon-queue-job==18.0.4.1.2.2').
    if [ -z "$(queue_job_addons_dir)" ]; then
        say "Installing queue_job (OCA) from the package index."
        PIP_ROOT_USER_ACTION=ignore "$PYTHON" -m pip install -q --disable-pip-version-check --no-deps \
            "${QUEUE_JOB_SPEC:-odoo-addon-queue-job>=18.0,<18.1}" || die "could not install odoo-addon-queue-job."
    fi
    [ -n "$(queue_job_addons_dir)" ] || die "queue_job is installed but not importable as odoo.addons.queue_job."
}
