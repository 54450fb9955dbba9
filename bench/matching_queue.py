"""Automatic matching of a large ledger as queue_job jobs, on a real multi-process Odoo server (issue 14, (b)).

On a throwaway copy of a ledger built by ``bench/matching.py --generate-only`` (COPY, with its ground truth
``bench_truth``), installs OCA's ``queue_job`` and ``billing_specialist_queue``, starts an Odoo server with
``--workers=N`` (the job runner in it: ``server_wide_modules = web,queue_job``, ``[queue_job] channels =
root:2,root.billing:N``, one cron worker for the chunk cron that finishes the run), plans the run in this process
(``billing.match.run._run_automatic`` with the chunk size, committed: the chunks ready to run are enqueued then), and
polls the database until every chunk is done (or failed). Then stops the server and prints:

- wall time: planning (this process) and jobs (from the commit of the plan to the last chunk done), sources/s;
- peak RSS (``VmHWM``, sampled) of each server process: the HTTP workers that performed jobs (``queue_job.worker_pid``),
  the main process (with the job runner), the cron worker;
- wrong automatic applications against the ground truth (must be 0), recall, top-1 of the rest;
- the split of the time: CPU of the Odoo processes (Python) vs CPU of the database's PostgreSQL backends, sampled
  from ``/proc`` (backends of this database only: other databases' tests do not count);
- chunks by state, jobs by state and how many were retried (concurrent updates between workers).

    python3 bench/matching.py --sources 100000 --generate-only          # once: bench14_copy_100k or your own
    python3 bench/matching_queue.py --template bench14_copy_100k --workers 1
    python3 bench/matching_queue.py --template bench14_copy_100k --workers 2 [--chunk-size 500] [--keep]

The copy (``<template>_q<N>`` unless ``--db``) is dropped at the end unless ``--keep``: about 1 GB per 100,000
sources, check ``df -h /var/lib/postgresql`` first. queue_job must be importable (``pip install --no-deps
odoo-addon-queue-job``); its folder is added to the addons path.
"""

import argparse
import configparser
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from _common import addons_path, db_exists, install
from matching import backend_cpu, process_cpu, score

POLL = 1.0  # seconds between samples


def queue_job_dir():
    import odoo.addons.queue_job as queue_job

    return os.path.dirname(os.path.dirname(queue_job.__file__))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(args, addons):
    """The copy of the template with queue_job and the glue addon installed, vacuumed and analyzed."""
    if db_exists(args.db):
        subprocess.run(["dropdb", args.db], check=True)
    subprocess.run(["createdb", "-T", args.template, args.db], check=True)
    install(args.db, addons, "billing_specialist_queue", "-u", "billing_specialist")
    # The addon's other scheduled actions (follow-up, learning, ...) are due on a copy and would run at the server's
    # start over the whole ledger, updating the invoices the jobs reconcile (seen: the follow-up's updates of
    # account_move failing on concurrent updates by the hundred): only the chunk cron and queue_job's stay active.
    subprocess.run(
        [
            "psql",
            "-q",
            "-d",
            args.db,
            "-c",
            "UPDATE ir_cron SET active = false WHERE id IN (SELECT res_id "
            "FROM ir_model_data WHERE model = 'ir.cron' AND module = 'billing_specialist' "
            "AND name <> 'ir_cron_billing_run_chunk')",
        ],
        check=True,
    )
    subprocess.run(["vacuumdb", "--analyze", "--quiet", args.db], check=True)


def write_config(args, addons, folder):
    config = configparser.ConfigParser()
    config["options"] = {
        "db_name": args.db,
        "dbfilter": f"^{args.db}$",
        "addons_path": addons,
        "workers": str(args.workers),
        "max_cron_threads": "1",  # the chunk cron: enqueues what waited, marks the run done
        "server_wide_modules": "web,queue_job",
        "http_interface": "127.0.0.1",
        "http_port": str(free_port()),
        "gevent_port": str(free_port()),
        "limit_time_cpu": "3600",  # a chunk is one request of the job runner to a worker
        "limit_time_real": "3600",
        "limit_memory_soft": str(6 * 1024**3),  # measure the peak, do not recycle the worker under it
        "limit_memory_hard": str(8 * 1024**3),
        "log_level": "warn",
        "logfile": os.path.join(folder, "odoo.log"),
    }
    config["queue_job"] = {"channels": f"root:{max(args.workers, 2)},root.billing:{args.workers}"}
    path = os.path.join(folder, "odoo.conf")
    with open(path, "w") as handle:
        config.write(handle)
    return path, config["options"]["http_port"]


def wait_for_http(port, server, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit("the Odoo server stopped (see its log)")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the Odoo server did not answer")


def proc_stat(pid):
    """(CPU seconds, VmHWM MiB) of process ``pid``, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/status") as status:
            hwm = next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except (OSError, StopIteration, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), hwm / 1024


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
    except OSError:
        return []


def describe(pid):
    """What a child of the server runs: the gevent (websocket) server is its own program, workers are forks."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().split(b"\0")
    except OSError:
        return "gone"
    if b"gevent" in argv:
        return "gevent server"
    program = argv[0].decode(errors="replace").rsplit("/", 1)[-1]
    return None if program.startswith("python") else program  # a fork of the server: a worker


class Sampler:
    """CPU and peak RSS of the server's processes and of the database's PostgreSQL backends, last value per pid."""

    def __init__(self, server_pid, cr, exclude):
        self.server_pid, self.cr, self.exclude = server_pid, cr, set(exclude)
        self.odoo, self.postgres, self.base, self.roles = {}, {}, {}, {}

    def sample(self):
        for pid in [self.server_pid, *children(self.server_pid)]:
            if pid not in self.roles:
                self.roles[pid] = describe(pid)
            self._keep(self.odoo, pid)
        self.cr.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        for (pid,) in self.cr.fetchall():
            if pid not in self.exclude:
                self._keep(self.postgres, pid)

    def _keep(self, seen, pid):
        stat = proc_stat(pid)
        if stat:
            self.base.setdefault(pid, stat[0])  # what it had used before the run (a server's start, ...)
            seen[pid] = stat

    def cpu(self, seen):
        return sum(cpu - self.base[pid] for pid, (cpu, _hwm) in seen.items())


def plan(env, chunk_size):
    """Plan the run (the chunks ready to run are enqueued) and commit. :return: (run, seconds, Python CPU, PG CPU)."""
    cr = env.cr
    env["ir.config_parameter"].set_param("billing_specialist.run_chunk_size", str(chunk_size))
    cr.execute("SELECT pg_backend_pid()")
    backend = cr.fetchone()[0]
    cpu, pg_cpu, started = process_cpu(), backend_cpu(backend), time.perf_counter()
    run = env["billing.match.run"]._run_automatic(env.company)
    cr.commit()
    return run, time.perf_counter() - started, process_cpu() - cpu, backend_cpu(backend) - pg_cpu


def wait_for_chunks(cr, run_id, sampler, timeout):
    """Poll until no chunk of the run is waiting or running. :return: {state: count}, seconds."""
    started = time.perf_counter()
    while True:
        sampler.sample()
        cr.execute("SELECT state, count(*) FROM billing_run_chunk WHERE match_run_id = %s GROUP BY state", (run_id,))
        states = dict(cr.fetchall())
        cr.execute("SELECT state FROM billing_match_run WHERE id = %s", (run_id,))
        run_state = cr.fetchone()[0]
        cr.commit()  # a fresh snapshot for the next poll
        if not states.get("pending") and not states.get("running") and (run_state == "done" or states.get("failed")):
            return states, time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            print(f"timeout: chunks {states}, run {run_state}")
            return states, time.perf_counter() - started
        time.sleep(POLL)


def measure(args, addons):
    import odoo
    from odoo.modules.registry import Registry

    folder = tempfile.mkdtemp(prefix="matching_queue_")
    conf, port = write_config(args, addons, folder)
    server = subprocess.Popen([sys.executable, "-m", "odoo", "server", "-c", conf], stderr=subprocess.DEVNULL)
    try:
        wait_for_http(port, server)
        odoo.tools.config.parse_config(["-d", args.db, f"--addons-path={addons}", "--log-level=warn"])
        with Registry(args.db).cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            cr.execute("SELECT source, case_name, identifiable, invoice_ids, customer_id FROM bench_truth")
            truth = {src: (case, ident, json.loads(ids), owner) for src, case, ident, ids, owner in cr.fetchall()}
            cr.execute("SELECT pg_backend_pid()")
            sampler = Sampler(server.pid, cr, exclude=[cr.fetchone()[0]])
            sampler.sample()  # every process's CPU before the run
            run, planning, plan_cpu, plan_pg = plan(env, args.chunk_size)
            states, jobs_wall = wait_for_chunks(cr, run.id, sampler, args.timeout)
            cr.execute("SELECT DISTINCT worker_pid FROM queue_job WHERE channel = 'root.billing'")
            job_pids = {pid for (pid,) in cr.fetchall() if pid}
            cr.execute(
                "SELECT state, count(*), count(*) FILTER (WHERE retry > 1) FROM queue_job "
                "WHERE channel = 'root.billing' GROUP BY state"
            )
            jobs = {state: (count, retried) for state, count, retried in cr.fetchall()}
            env.invalidate_all()
            scores = score(run, truth)
    finally:
        server.terminate()  # the server we started: it stops its workers and job runner
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        odoo.sql_db.close_db(args.db)  # this process's connections, so that the copy can be dropped
    args.log = os.path.join(folder, "odoo.log")
    with open(args.log, errors="replace") as log:
        args.conflicts = sum("could not serialize" in line or "deadlock detected" in line for line in log)
    report(args, run.id, states, jobs, scores, planning, plan_cpu, plan_pg, jobs_wall, sampler, job_pids)


def report(args, run_id, states, jobs, scores, planning, plan_cpu, plan_pg, jobs_wall, sampler, job_pids):
    wall = planning + jobs_wall
    sources = scores["applied"] + scores["rest"]
    print(
        f"run {run_id}: sources {sources:,}; workers {args.workers}; chunk size {args.chunk_size}; "
        f"wall {wall:.1f} s = planning {planning:.1f} s + jobs {jobs_wall:.1f} s; {sources / wall:,.0f} sources/s "
        f"({sources / jobs_wall:,.0f}/s while the jobs ran)"
    )
    print(f"chunks {states}; jobs on root.billing {{state: (count, retried)}} {jobs}")
    print(f"log: {args.log} ({args.conflicts} concurrent-update or deadlock errors)")
    print(
        f"applied automatically {scores['applied']:,}; wrong {scores['wrong']} {scores['wrong_cases'] or ''}; "
        f"recall {scores['identified'] / max(scores['identifiable'], 1):.1%} of {scores['identifiable']:,} "
        f"identifiable; top-1 of the {scores['rest']:,} left {scores['rest_right'] / max(scores['rest'], 1):.1%}; "
        f"not applied by case: {scores['missed']}"
    )
    helpers = 0
    for pid, (cpu, hwm) in sorted(sampler.odoo.items()):
        role = "job worker" if pid in job_pids else "main + job runner" if pid == sampler.server_pid else None
        if role is None and hwm < 50:  # short-lived children, not Odoo workers: counted in the CPU, not listed
            helpers += 1
            continue
        role = role or sampler.roles.get(pid) or "cron worker or idle HTTP worker"
        print(f"  odoo pid {pid} ({role}): peak RSS {hwm:.0f} MiB, CPU during the run {cpu - sampler.base[pid]:.1f} s")
    if helpers:
        print(f"  and {helpers} short-lived child processes of the server (< 50 MiB each)")
    odoo_cpu, pg_cpu = sampler.cpu(sampler.odoo), sampler.cpu(sampler.postgres)
    print(f"planning (this process): Python {plan_cpu:.1f} s, PostgreSQL {plan_pg:.1f} s of {planning:.1f} s")
    print(
        f"jobs: Python (Odoo processes' CPU) {odoo_cpu:.1f} s; PostgreSQL (the database's backends' CPU) "
        f"{pg_cpu:.1f} s; over {jobs_wall:.1f} s wall x {args.workers} worker(s) = "
        f"{odoo_cpu / (jobs_wall * args.workers):.0%} / {pg_cpu / (jobs_wall * args.workers):.0%} of the workers' time"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--template", default="bench14_copy_100k", help="the ledger (bench/matching.py --copy)")
    parser.add_argument("--db", help="the throwaway copy (default <template>_q<workers>)")
    parser.add_argument("--workers", type=int, default=1, help="Odoo HTTP workers = capacity of root.billing")
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the chunks")
    parser.add_argument("--keep", action="store_true", help="keep the copy")
    args = parser.parse_args()
    args.db = args.db or f"{args.template}_q{args.workers}"
    addons = f"{addons_path()},{queue_job_dir()}"
    prepare(args, addons)
    try:
        measure(args, addons)
    finally:
        if not args.keep:
            subprocess.run(["dropdb", "--if-exists", args.db], check=True)


if __name__ == "__main__":
    main()
