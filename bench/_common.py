"""Helpers shared by the benchmark scripts (run them as ``python3 bench/<script>.py``)."""

import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def addons_path():
    """Odoo's own addons (beside the odoo package in a source checkout), then this repository."""
    import odoo

    root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
    extra = os.path.join(root, "addons")
    return ",".join(path for path in (extra if os.path.isdir(extra) else None, REPO) if path)


def db_exists(db):
    out = subprocess.run(
        ["psql", "-d", "postgres", "-Atc", f"select 1 from pg_database where datname='{db}'"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() == "1"


def update_module(db, addons):
    """Bring an existing benchmark database to the addon's current code (new fields, views)."""
    import sys

    subprocess.run(
        [sys.executable, "-m", "odoo", "server", "-d", db, f"--addons-path={addons}", "-u", "billing_specialist",
         "--stop-after-init", "--log-level=warn"],
        check=True,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def prepare_registry(db, reset, generate, describe):
    """The benchmark database's registry: ``db`` created with the addon (no demo) and filled by ``generate(env)``
    on the first run (``describe(result)`` says what was generated), updated to the current code on later runs;
    ``reset`` drops it first."""
    import sys
    import time

    import odoo
    from odoo.modules.registry import Registry

    addons = addons_path()
    if reset and db_exists(db):
        subprocess.run(["dropdb", db], check=True)
    fresh = not db_exists(db)
    if not fresh:
        update_module(db, addons)
    else:
        subprocess.run(
            [sys.executable, "-m", "odoo", "server", "-d", db, f"--addons-path={addons}", "-i", "billing_specialist",
             "--without-demo=all", "--stop-after-init", "--log-level=warn"],
            check=True, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    odoo.tools.config.parse_config(["-d", db, f"--addons-path={addons}", "--log-level=warn"])
    registry = Registry(db)
    if fresh:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            started = time.perf_counter()
            result = generate(env)
            print(f"generated {describe(result)} in {time.perf_counter() - started:.0f} s")
    return registry


def unique_amounts(rng, low=100, high=9000):
    """A function giving amounts (two decimals, drawn uniformly) never given before: no accidental equal amounts."""
    used = set()

    def amount():
        while True:
            value = round(rng.uniform(low, high), 2)
            if value not in used:
                used.add(value)
                return value

    return amount
