"""Payment creates and status reads per second of the Bezahlplattform next to localstripe (PyPI), the Stripe
emulator its users know, at 16 connections, on an empty store and after 50,000 payments, on SQLite and PostgreSQL.

Servers (all on 127.0.0.1, ports 18300-18399, stopped by PID at the end):
- ``basisdienste serve bezahlplattform`` four times: SQLite empty / full, PostgreSQL empty / full (a fresh database
  each, dropped afterwards). The full ones get 50,000 paid payments with audit rows bulk-inserted (setup only).
- localstripe twice (empty / 50,000 payment intents preloaded), bound to 127.0.0.1 by ``localstripe_server.py``.

Load with wrk (Lua scripts, unique requestIds): a **create** is ``POST /paymenttransaction/{o}/{e}`` (XBezahldienste,
HTTP Basic, one item with booking data) against ``POST /v1/payment_intents`` (amount, currency); a **read** is the
status ``GET`` of one payment against ``GET /v1/payment_intents/{id}``. Runs are interleaved, order rotating per
round; medians are printed with the ratios Bezahlplattform / localstripe and full / empty.
Run: ``.venv/bin/python -m benchmarks.bezahlplattform`` (``--help`` for the knobs).
"""

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from benchmarks.gateway.bench import (
    BenchmarkError,
    Fleet,
    Server,
    cpu_seconds,
    find_wrk,
    git_revision,
    machine,
    parse_wrk,
    run_and_report,
    server_env,
    wait_healthy,
)
from kit.db import Database, DatabaseTarget, normalise_url
from services.bezahlplattform.models import AuditEvent, Payment

REPO = Path(__file__).resolve().parents[2]
PORTS = range(18300, 18400)
ORIGINATOR, ENDPOINT = "bewohnerparkausweis", "071110000000"
BASIC = "Basic " + base64.b64encode(b"bewohnerparkausweis-071110000000:bewohnerparkausweis-secret").decode()
STRIPE_KEY = "Bearer sk_test_benchmark"
TARGETS = {"ratio_vs_localstripe": 3.0, "full_over_empty": 0.8}
FLOOR = "fastapi-floor"  # reads only: the ceiling of any FastAPI read path (floor_app.py)
OPERATIONS = {"bp": ("read", "create"), "localstripe": ("read", "create"), "floor": ("read",)}

CREATE_LUA = """
local counter = 0
function setup(thread) thread:set("tid", tostring(math.random(1, 1e9))) end
function init(args) prefix = args[1] end
function request()
  counter = counter + 1
  local rid = prefix .. "-" .. tid .. "-" .. counter
  local body = string.format(TEMPLATE, rid)
  return wrk.format("POST", nil, nil, body)
end
"""
BP_TEMPLATE = ('{"requestId":"%s","currency":"EUR","grosAmount":30.0,"purpose":"Bewohnerparkausweis",'
               '"redirectUrl":"https://onlinedienst.example/zurueck","items":[{"id":"1","totalNetAmount":30.0,'
               '"totalTaxAmount":0,"bookingData":{"Haushaltsstelle":"1.2.2.01.431100"}}]}')
STRIPE_TEMPLATE = "amount=3000&currency=eur&metadata[order]=%s"


def ports(count: int) -> list[int]:
    free = []
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        free.append(port)
        if len(free) == count:
            return free
    raise BenchmarkError("no free ports left in 18300-18399")


def lua(workdir: Path, name: str, headers: dict[str, str], template: str) -> Path:
    lines = [f'wrk.method = "{"POST" if template else "GET"}"']
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if template:
        lines.append(f"TEMPLATE = [[{template}]]")
        lines.append(CREATE_LUA)
    path = workdir / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk_run(wrk: str, url: str, script: Path, *, duration: float, connections: int, prefix: str,
            pid: int) -> dict[str, Any]:
    """One wrk run; also the server's CPU time per answered request, steadier than the rate on a busy machine."""
    command = [wrk, "-t2", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s", "--latency", "-s", str(script),
               url, "--", prefix]
    cpu_before = cpu_seconds(pid)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    cpu = cpu_seconds(pid) - cpu_before
    if done.returncode != 0:
        raise BenchmarkError(f"wrk failed: {done.stdout}{done.stderr}")
    result = parse_wrk(done.stdout)
    if result.non_2xx:
        raise BenchmarkError(f"{url}: {result.non_2xx} non-2xx answers\n{done.stdout}")
    # Socket errors (timeouts of a server that stalls) are reported, not hidden: the rate counts answers only.
    return {"rps": result.requests_per_s, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
            "requests": result.requests, "socket_errors": result.socket_errors,
            "cpu_us_per_request": round(cpu / result.requests * 1e6) if result.requests else None}


async def create_database(admin_url: str, name: str) -> str:
    url = make_url(admin_url)
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
                                 password=url.password, database="postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_database(admin_url: str, name: str) -> None:
    url = make_url(admin_url)
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
                                 password=url.password, database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def bulk_insert(target: DatabaseTarget, count: int) -> float:
    """``count`` paid payments with their audit rows, straight into the service's tables (setup speed only)."""
    started = time.perf_counter()
    db = Database(target)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    try:
        for offset in range(0, count, 5000):
            payments, audits = [], []
            for i in range(offset, min(offset + 5000, count)):
                pid = uuid.uuid4().hex
                kz = f"7111999{i:07d}"
                payments.append({
                    "id": pid, "originator_id": ORIGINATOR, "endpoint_id": ENDPOINT, "request_id": f"bulk-{i}",
                    "status": "PAYED", "status_detail": "autorisiert und gebucht", "payment_method": "CREDITCARD",
                    "payment_method_detail": "Visa •••• 4242", "adapter": "creditcard", "gros_amount_cents": 3000,
                    "currency": "EUR", "purpose": "Bewohnerparkausweis", "kassenzeichen": kz,
                    "redirect_url": "https://onlinedienst.example/zurueck",
                    "payment_request": {"requestId": f"bulk-{i}", "currency": "EUR", "grosAmount": 30},
                    "bookings": [{"item": "1", "cents": 3000, "bookingData": {"Haushaltsstelle": "1.2.2.01.431100"}}],
                    "captured_cents": 3000, "refunded_cents": 0, "reads": 0, "checkout_state": {},
                    "created_at": now, "updated_at": now, "completed_at": now})
                audits.append({"payment_id": pid, "event": "payment.created", "actor": "bulk", "from_status": None,
                               "to_status": "INITIAL", "amount_cents": 3000, "data": {}, "created_at": now})
            async with db.engine.begin() as connection:
                await connection.execute(insert(Payment), payments)
                await connection.execute(insert(AuditEvent), audits)
        # As a DBA would after a bulk load: fresh statistics, and autovacuum has nothing left to do mid-run.
        async with db.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            if target.schema:
                await autocommit.execute(text("VACUUM ANALYZE"))
            else:  # fold the bulk load's write-ahead log into the database file, as SQLite would eventually
                await autocommit.execute(text("ANALYZE"))
                await autocommit.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    finally:
        await db.dispose()
    return time.perf_counter() - started


def launch_bp(fleet: Fleet, name: str, port: int, *, data_dir: Path, database_url: str | None) -> Server:
    args = ["serve", "bezahlplattform", "--data-dir", str(data_dir), "--log-level", "WARNING"]
    if database_url:
        args += ["--database-url", database_url]
    return fleet.launch(name, args, port=port, env=server_env({"BASISDIENSTE_BEZAHLPLATTFORM_ACCESS_LOG": "false"}))


def launch_python_module(fleet: Fleet, name: str, port: int, module_args: list[str]) -> Server:
    """A server run as ``python -m …`` from the repository (localstripe, the FastAPI floor), logging to the workdir."""
    logs = fleet.workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stdout, stderr = logs / f"{name}.out.log", logs / f"{name}.err.log"
    with stdout.open("ab") as out, stderr.open("ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", *module_args], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, cwd=REPO, env=server_env())
    server = Server(name, port, proc, stdout, stderr, time.perf_counter())
    fleet.servers.append(server)
    return server


def launch_localstripe(fleet: Fleet, name: str, port: int, preload: int) -> Server:
    return launch_python_module(fleet, name, port, [
        "benchmarks.bezahlplattform.localstripe_server", "--port", str(port), "--preload", str(preload),
        "--store-file", str(fleet.workdir / f"{name}.pickle")])


def launch_floor(fleet: Fleet, name: str, port: int) -> Server:
    return launch_python_module(fleet, name, port, [
        "uvicorn", "benchmarks.bezahlplattform.floor_app:app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-access-log"])


def wait_port(server: Server, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise BenchmarkError(f"{server.name} exited\n{server.tail()}")
        try:
            if httpx.get(f"{server.base}/v1/payment_intents?limit=1", headers={"Authorization": STRIPE_KEY},
                         timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"{server.name} did not answer\n{server.tail()}")


def prepare_reads(server: Server, kind: str) -> str:
    """One payment to read, and the URL of its status."""
    if kind == "floor":
        return f"{server.base}/status/019a4e2b7c10d5e8f1a2b3c4d5e6f708"
    if kind == "localstripe":
        answer = httpx.post(f"{server.base}/v1/payment_intents", data={"amount": 3000, "currency": "eur"},
                            headers={"Authorization": STRIPE_KEY}, timeout=30)
        answer.raise_for_status()
        return f"{server.base}/v1/payment_intents/{answer.json()['id']}"
    body = json.loads(BP_TEMPLATE % f"read-{secrets.token_hex(6)}")
    answer = httpx.post(f"{server.base}/paymenttransaction/{ORIGINATOR}/{ENDPOINT}", json=body,
                        headers={"Authorization": BASIC}, timeout=30)
    answer.raise_for_status()
    transaction = answer.json()["paymentInformation"]["transactionId"]
    return f"{server.base}/paymenttransaction/{ORIGINATOR}/{ENDPOINT}/{transaction}"


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    wrk = find_wrk()
    fleet = Fleet(workdir)
    databases: list[str] = []
    started = time.perf_counter()
    try:
        targets: dict[str, tuple[Server, str]] = {}
        free = iter(ports(7))
        configs = [("sqlite", "empty"), ("sqlite", "full")]
        if args.postgres:
            configs += [("postgresql", "empty"), ("postgresql", "full")]
        urls: dict[str, str | None] = {}
        for store, state in configs:
            name = f"bp-{store}-{state}"
            url = None
            if store == "postgresql":
                database = f"bd_bench_{secrets.token_hex(5)}"
                url = asyncio.run(create_database(args.postgres, database))
                databases.append(database)
            urls[name] = url
            targets[name] = (launch_bp(fleet, name, next(free), data_dir=workdir / name, database_url=url), "bp")
        targets[FLOOR] = (launch_floor(fleet, FLOOR, next(free)), "floor")
        for state, preload in (("empty", 0), ("full", args.stored)):
            name = f"localstripe-{state}"
            targets[name] = (launch_localstripe(fleet, name, next(free), preload), "localstripe")
        for server, kind in targets.values():
            if kind in ("bp", "floor"):
                wait_healthy(server, timeout=120)
            else:
                wait_port(server, timeout=300)
        setup: dict[str, float] = {}
        for name, url in urls.items():
            if name.endswith("full"):
                target = (DatabaseTarget(normalise_url(url), "bezahlplattform") if url else DatabaseTarget(
                    normalise_url(f"sqlite:///{workdir / name / 'bezahlplattform.sqlite3'}"), None))
                setup[name] = round(asyncio.run(bulk_insert(target, args.stored)), 1)
        scripts = {
            ("bp", "create"): lua(workdir, "bp-create", {"Authorization": BASIC,
                                                         "Content-Type": "application/json"}, BP_TEMPLATE),
            ("bp", "read"): lua(workdir, "bp-read", {"Authorization": BASIC}, ""),
            ("localstripe", "create"): lua(workdir, "ls-create", {
                "Authorization": STRIPE_KEY, "Content-Type": "application/x-www-form-urlencoded"}, STRIPE_TEMPLATE),
            ("localstripe", "read"): lua(workdir, "ls-read", {"Authorization": STRIPE_KEY}, ""),
            ("floor", "read"): lua(workdir, "floor-read", {"Authorization": BASIC}, ""),
        }
        read_urls = {name: prepare_reads(server, kind) for name, (server, kind) in targets.items()}
        create_urls = {name: (f"{server.base}/paymenttransaction/{ORIGINATOR}/{ENDPOINT}" if kind == "bp"
                              else f"{server.base}/v1/payment_intents") for name, (server, kind) in targets.items()
                       if kind != "floor"}
        samples: dict[str, dict[str, list[dict[str, Any]]]] = {
            n: {op: [] for op in OPERATIONS[kind]} for n, (_, kind) in targets.items()}
        # Fixed order, reads before creates, localstripe last: a localstripe that has fallen behind on creates
        # keeps pickling its store for many seconds after wrk stops, and would steal the CPU of whatever runs next.
        for round_no in range(args.rounds):
            for name in targets:
                kind = targets[name][1]
                for op in OPERATIONS[kind]:
                    url = create_urls[name] if op == "create" else read_urls[name]
                    prefix = f"r{round_no}{secrets.token_hex(3)}"
                    pid = targets[name][0].proc.pid
                    wrk_run(wrk, url, scripts[(kind, op)], duration=args.warmup, connections=args.connections,
                            prefix=prefix + "w", pid=pid)
                    sample = wrk_run(wrk, url, scripts[(kind, op)], duration=args.duration,
                                     connections=args.connections, prefix=prefix, pid=pid)
                    samples[name][op].append(sample)
                    print(f"  {name:22} {op:6} {sample['rps']:8.1f}/s {sample['cpu_us_per_request'] or 0:8} us CPU/req",
                          flush=True)
        medians = {n: {op: statistics.median(s["rps"] for s in runs) for op, runs in ops.items()}
                   for n, ops in samples.items()}
        cpu = {n: {op: statistics.median(s["cpu_us_per_request"] or 0 for s in runs) for op, runs in ops.items()}
               for n, ops in samples.items()}
        return {"benchmark": "bezahlplattform", "timestamp": dt.datetime.now(dt.UTC).isoformat(),
                "git": git_revision(), "machine": machine(), "connections": args.connections,
                "duration_s": args.duration, "rounds": args.rounds, "stored": args.stored, "setup_s": setup,
                "elapsed_s": round(time.perf_counter() - started, 1), "medians": medians, "cpu_us_per_request": cpu,
                "samples": samples,
                "targets": TARGETS}
    finally:
        fleet.stop_all()
        for database in databases:
            asyncio.run(drop_database(args.postgres, database))


def _ratio(value: float, baseline: float, fmt: str = ".1f") -> str:
    return format(value / baseline, fmt) if baseline else "inf"


def render(report: dict[str, Any]) -> str:
    m = report["medians"]
    lines = [f"Bezahlplattform vs localstripe, {report['connections']} connections, median of {report['rounds']} "
             f"round(s) of {report['duration_s']} s; full = {report['stored']:,} stored payments "
             f"(load average at start {report['machine']['loadavg_at_start']})", "",
             f"{'target':24}{'create/s':>10}{'read/s':>10}{'create xLS':>12}{'read xLS':>10}{'full/empty':>22}"]
    for name, ops in m.items():
        state = "full" if name.endswith("full") else "empty"
        baseline = m[f"localstripe-{state}"]
        if name == FLOOR:
            lines.append(f"{name:24}{'-':>10}{ops['read']:10.1f}{'-':>12}{_ratio(ops['read'], baseline['read']):>10}")
            continue
        ratio = (f"{_ratio(ops['create'], baseline['create']):>12}{_ratio(ops['read'], baseline['read']):>10}"
                 if not name.startswith("localstripe") else f"{'':12}{'':10}")
        flat = ""
        if state == "full":
            empty = m[name.replace("full", "empty")]
            flat = (f"{_ratio(ops['create'], empty['create'], '.2f'):>10} "
                    f"{_ratio(ops['read'], empty['read'], '.2f'):>10}")
        lines.append(f"{name:24}{ops['create']:10.1f}{ops['read']:10.1f}{ratio}{flat:>22}")
    lines += ["", "server CPU per answered request (us; steadier than req/s while other processes load the machine):",
              f"{'target':24}{'create':>10}{'read':>10}{'full/empty create':>20}{'read':>8}"]
    cpu = report["cpu_us_per_request"]
    for name, ops in cpu.items():
        if name == FLOOR:
            lines.append(f"{name:24}{'-':>10}{ops['read']:10.0f}")
            continue
        flat = ""
        if name.endswith("full"):
            empty = cpu[name.replace("full", "empty")]
            # CPU per request growing means slowing down: empty/full, so that >= 0.8 reads as "flat" here too.
            flat = f"{_ratio(empty['create'], ops['create'], '.2f'):>20}{_ratio(empty['read'], ops['read'], '.2f'):>8}"
        lines.append(f"{name:24}{ops['create']:10.0f}{ops['read']:10.0f}{flat}")
    lines.append("")
    lines.append(f"targets: Bezahlplattform ≥ {TARGETS['ratio_vs_localstripe']}x localstripe; full/empty ≥ "
                 f"{TARGETS['full_over_empty']} (flat within 20 %); run took {report['elapsed_s']} s")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bezahlplattform", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measured run (%(default)s)")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds before each run (%(default)s)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (%(default)s)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (%(default)s)")
    parser.add_argument("--stored", type=int, default=50_000, help="payments in the full stores (%(default)s)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL",
                                                             "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="admin URL of a PostgreSQL server ('' to skip PostgreSQL)")
    parser.add_argument("--results-dir", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    run_and_report("bezahlplattform", args, lambda workdir: run(args, workdir), render)
