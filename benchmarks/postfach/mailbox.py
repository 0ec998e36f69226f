"""Mailbox (ZBP) deliveries per second: signed message_v6 envelopes with one attachment, posted as an authority
would (client-credentials token of ``bescheid``, multipart ``POST /api/v6/messages``), at 1 and 8 concurrent
clients, first against an empty store and then against one holding 50,000 more messages (bulk-inserted straight into
the database: sealed envelopes, attachments and hash-chained trail events, as deliveries would have written them).
The target is flat: the full store within 20 % of the empty one.

Three real processes on free ports, the compose topology without the gateway: ``basisdienste serve nutzerkonto`` and
two ``basisdienste serve postfach`` with their own data directories, one kept (nearly) empty, one holding the bulk.
Both stores are measured **interleaved**, round after round, so that the load other programs put on the machine hits
both alike; medians over the rounds are compared. Envelopes are signed before the clock starts (kit.zbp), so the load
generator measures the service, not RSA signing in the client. Every process is stopped by its PID.
Run: ``.venv/bin/python -m benchmarks.postfach.mailbox`` (``--help`` for the knobs); about 2½ minutes.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select

from benchmarks.gateway.bench import (
    BenchmarkError,
    Fleet,
    cpu_seconds,
    free_ports,
    git_revision,
    machine,
    machine_busy_seconds,
    run_and_report,
    server_env,
    wait_healthy,
)
from kit.zbp import ZbpAuthor, message_multipart, sha512_hex
from services.postfach.mailbox import trail
from services.postfach.mailbox.models import Attachment, DeploymentKey, Mailbox, Message, MessageEvent
from services.postfach.mailbox.sealing import KEY_ID, Sealer

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = uuid.UUID("6f1c8f4e-2b7a-5e3d-9a41-0c2d6b8e7f10")  # the Nutzerkonto's postkorb handles
PEOPLE = ("erika-mustermann", "max-mustermann", "lena-mustermann", "elodie-martin", "musterbau-gmbh")
TARGETS = [str(uuid.uuid5(NAMESPACE, p)) for p in PEOPLE]
ATTACHMENT = b"%PDF-1.7\n% Bescheid (Benchmark)\n" + bytes(range(256)) * 8
TARGET_RATIO = 0.8


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.postfach.mailbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds of each measured run (6)")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds before each run (1)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--store", type=int, default=50_000, help="messages bulk-inserted for the full store")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8], help="concurrent clients (1 8)")
    parser.add_argument("--envelopes", type=int, default=64, help="distinct pre-signed envelopes per mailbox")
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    parser.add_argument("--results-dir", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data, logs)")
    return parser


class Sender:
    """Pre-signed deliveries and one cached client-credentials token, renewed on 401."""

    def __init__(self, nutzerkonto: str, count: int) -> None:
        self.nutzerkonto = nutzerkonto
        self.postfach = ""
        self.token = ""
        author = ZbpAuthor.generate("Stadt Koblenz, Bescheidstelle")
        now = dt.datetime.now(dt.UTC)  # the servers run on wall-clock time; nothing moves their clocks here
        self.bodies: list[list[tuple[str, Any]]] = []
        for index in range(count):
            for mailbox in TARGETS:
                fields = {"mailboxUuid": mailbox, "stork_qaa_level": 3, "sender": "Stadt Koblenz",
                          "title": f"Bescheid Nr. {index}", "content": "Sehr geehrte Damen und Herren, " * 20,
                          "service": "Hundesteuer", "reference": f"AZ-{index}"}
                self.bodies.append(message_multipart(author, fields, [("bescheid.pdf", ATTACHMENT,
                                                                       "application/pdf")], now=now))

    async def renew(self, http: httpx.AsyncClient) -> None:
        answer = await http.post(f"{self.nutzerkonto}/token", data={"grant_type": "client_credentials",
                                                                    "resource": "postfach"},
                                 auth=("bescheid", "bescheid-secret"))
        if answer.status_code != 200:
            raise BenchmarkError(f"no token: {answer.status_code} {answer.text[:200]}")
        self.token = answer.json()["access_token"]

    async def first_deliveries(self) -> None:
        """One delivery to each mailbox, checked: creates the mailboxes the bulk rows go into."""
        async with httpx.AsyncClient(timeout=60) as http:
            await self.renew(http)
            for index in range(len(TARGETS)):
                answer = await http.post(f"{self.postfach}/api/v6/messages", files=self.bodies[index],
                                         headers={"Authorization": f"Bearer {self.token}"})
                if answer.status_code != 201:
                    raise BenchmarkError(f"delivery refused: {answer.status_code} {answer.text[:300]}")

    async def send(self, http: httpx.AsyncClient, index: int) -> bool:
        for _ in range(2):
            answer = await http.post(f"{self.postfach}/api/v6/messages", files=self.bodies[index % len(self.bodies)],
                                     headers={"Authorization": f"Bearer {self.token}"})
            if answer.status_code != 401:
                return answer.status_code == 201
            await self.renew(http)
        return False


async def _load(sender: Sender, concurrency: int, seconds: float) -> tuple[int, int, list[float]]:
    """Closed loop: ``concurrency`` clients send back to back for ``seconds``; (ok, failed, latencies)."""
    ok = failed = 0
    latencies: list[float] = []
    counter = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        if not sender.token:
            await sender.renew(http)

        async def client() -> None:
            nonlocal ok, failed, counter
            while time.perf_counter() < deadline:
                counter += 1
                started = time.perf_counter()
                success = await sender.send(http, counter)
                latencies.append(time.perf_counter() - started)
                if success:
                    ok += 1
                else:
                    failed += 1

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return ok, failed, latencies


def measure(sender: Sender, concurrency: int, args: argparse.Namespace, pids: list[int]) -> dict[str, Any]:
    asyncio.run(_load(sender, concurrency, args.warmup))
    cpu_before = sum(cpu_seconds(p) for p in pids)
    busy_before, started = machine_busy_seconds(), time.perf_counter()
    ok, failed, latencies = asyncio.run(_load(sender, concurrency, args.duration))
    elapsed = time.perf_counter() - started
    server_cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
    latencies.sort()
    return {"concurrency": concurrency, "delivered": ok, "failed": failed, "seconds": round(elapsed, 2),
            "per_second": round(ok / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
            "server_cpu_ms_per_delivery": round(server_cpu / ok * 1000, 2) if ok else None,
            "machine_busy_cpus": round((machine_busy_seconds() - busy_before) / elapsed, 2)}


def bulk_insert(database: Path, count: int) -> float:
    """``count`` messages spread over the people's mailboxes, written as a delivery writes them; seconds taken."""
    started = time.perf_counter()
    engine = create_engine(f"sqlite:///{database}")
    author = ZbpAuthor.generate("Stadt Mainz, Bulk")
    now = dt.datetime.now(dt.UTC)
    envelopes = {}
    for mailbox in TARGETS:
        fields = {"mailboxUuid": mailbox, "stork_qaa_level": 1, "sender": "Stadt Mainz", "title": "Altbestand",
                  "content": "Eine ältere Nachricht. " * 40,
                  "attachments": [{"filename": "alt.pdf", "sha512sum": sha512_hex(ATTACHMENT),
                                   "contentLength": len(ATTACHMENT)}]}
        envelopes[mailbox] = json.dumps(author.envelope(fields, now=now)).encode()
    with engine.begin() as connection:
        sealer = Sealer(connection.execute(select(DeploymentKey.key).where(DeploymentKey.id == KEY_ID)).scalar_one())
        known = set(connection.execute(select(Mailbox.uuid)).scalars())
        if missing := [t for t in TARGETS if t not in known]:
            raise BenchmarkError(f"mailboxes not created by the warm-up: {missing}")
        batch = 5000
        for start in range(0, count, batch):
            messages, attachments, events = [], [], []
            for index in range(start, min(start + batch, count)):
                mailbox = TARGETS[index % len(TARGETS)]
                message_id, attachment_id = str(uuid.uuid4()), str(uuid.uuid4())
                provided = now - dt.timedelta(minutes=count - index)
                head, seq = trail.GENESIS, 0
                for kind, data in (("provided", {"sender": "bescheid"}), ("notified", {"channel": "postfach"})):
                    seq += 1
                    digest = trail.link_hash(head, message_id, seq, kind, trail.iso(provided), data)
                    events.append({"message_id": message_id, "seq": seq, "kind": kind, "at": provided, "data": data,
                                   "prev_hash": head, "hash": digest})
                    head = digest
                messages.append({
                    "id": message_id, "mailbox_uuid": mailbox, "direction": "inbound", "sender_client_id": "bescheid",
                    "stork_qaa_level": 1, "application_id": None, "in_reply_to": None,
                    "sealed_envelope": sealer.seal(envelopes[mailbox], bound_to=message_id),
                    "bekanntgabe_rule": "ozg9", "bekanntgabe_days": 4, "bekanntgabe_status": "pending",
                    "provided_at": provided, "notified_at": provided, "retrieved_at": None, "read_at": None,
                    "trail_head": head, "trail_seq": seq})
                attachments.append({
                    "id": attachment_id, "message_id": message_id, "position": 0, "filename": "alt.pdf",
                    "media_type": "application/pdf", "content_length": len(ATTACHMENT),
                    "sha512sum": sha512_hex(ATTACHMENT),
                    "sealed_data": sealer.seal(ATTACHMENT, bound_to=attachment_id)})
            connection.execute(Message.__table__.insert(), messages)
            connection.execute(Attachment.__table__.insert(), attachments)
            connection.execute(MessageEvent.__table__.insert(), events)
    engine.dispose()
    return time.perf_counter() - started


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    fleet = Fleet(workdir)
    nk_port, empty_port, full_port = free_ports(3)
    env = server_env({"BASISDIENSTE_NUTZERKONTO_URL": f"http://127.0.0.1:{nk_port}",
                      "BASISDIENSTE_LOG_LEVEL": "WARNING"})
    report: dict[str, Any] = {"benchmark": "postfach.mailbox", "timestamp": dt.datetime.now(dt.UTC).isoformat(),
                              "revision": git_revision(), "machine": machine(), "args": {
                                  k: str(v) for k, v in vars(args).items()}, "runs": []}
    started = time.perf_counter()
    try:
        nutzerkonto = fleet.launch("nutzerkonto", ["serve", "nutzerkonto", "--data-dir", str(workdir / "nk")],
                                   port=nk_port, env=env)
        stores = {name: fleet.launch(f"postfach-{name}", ["serve", "postfach", "--data-dir", str(workdir / name)],
                                     port=port, env=env)
                  for name, port in (("empty", empty_port), ("full", full_port))}
        for server in (nutzerkonto, *stores.values()):
            wait_healthy(server, timeout=args.startup_timeout)
        print(f"servers up after {time.perf_counter() - started:.1f} s; signing envelopes ...", flush=True)
        sender = Sender(nutzerkonto.base, args.envelopes)
        # One delivery per mailbox creates the mailboxes (from the Nutzerkonto) that the bulk rows belong to.
        sender.postfach = stores["full"].base
        asyncio.run(sender.first_deliveries())
        seconds = bulk_insert(workdir / "full" / "postfach.sqlite3", args.store)
        report["bulk_insert_seconds"] = round(seconds, 1)
        print(f"bulk-inserted {args.store} messages in {seconds:.1f} s", flush=True)
        for round_ in range(args.rounds):
            for concurrency in args.concurrency:
                order = ("empty", "full") if round_ % 2 == 0 else ("full", "empty")
                for name in order:
                    server = stores[name]
                    sender.postfach = server.base
                    result = {"round": round_ + 1, "store": name,
                              **measure(sender, concurrency, args, [nutzerkonto.proc.pid, server.proc.pid])}
                    report["runs"].append(result)
                    print(f"  round {round_ + 1} {name:5} c={concurrency}: {result['per_second']:7.1f} deliveries/s "
                          f"(p50 {result['p50_ms']} ms, server CPU {result['server_cpu_ms_per_delivery']} "
                          f"ms/delivery, failed {result['failed']})", flush=True)
        report["total_seconds"] = round(time.perf_counter() - started, 1)
        report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        fleet.stop_all()
    return report


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r[key] is not None]
    return round(statistics.median(values), 2) if values else None


def render(report: dict[str, Any]) -> str:
    runs = report["runs"]
    lines = [f"Postfach mailbox: deliveries per second (message_v6 + 1 attachment, SQLite), medians of "
             f"{report['args']['rounds']} interleaved rounds", "",
             "| store | clients | deliveries/s | p50 ms | p99 ms | server CPU ms/delivery | failed | busy CPUs |",
             "|---|---|---|---|---|---|---|---|"]
    summary: dict[tuple[str, int], dict[str, Any]] = {}
    for concurrency in sorted({r["concurrency"] for r in runs}):
        for store in ("empty", "full"):
            chosen = [r for r in runs if r["store"] == store and r["concurrency"] == concurrency]
            row = {k: _median(chosen, k) for k in ("per_second", "p50_ms", "p99_ms", "server_cpu_ms_per_delivery",
                                                   "machine_busy_cpus")}
            row["failed"] = sum(r["failed"] for r in chosen)
            summary[(store, concurrency)] = row
            lines.append(f"| {store} | {concurrency} | {row['per_second']} | {row['p50_ms']} | {row['p99_ms']} | "
                         f"{row['server_cpu_ms_per_delivery']} | {row['failed']} | {row['machine_busy_cpus']} |")
    lines.append("")
    for concurrency in sorted({r["concurrency"] for r in runs}):
        empty, full = summary[("empty", concurrency)], summary[("full", concurrency)]
        if empty["per_second"] and full["per_second"]:
            ratio = full["per_second"] / empty["per_second"]
            verdict = "PASS" if ratio >= TARGET_RATIO else "MISS"
            cpu = (f"; server CPU per delivery full/empty = "
                   f"{full['server_cpu_ms_per_delivery'] / empty['server_cpu_ms_per_delivery']:.2f}"
                   if empty["server_cpu_ms_per_delivery"] and full["server_cpu_ms_per_delivery"] else "")
            lines.append(f"{concurrency} client(s): full/empty = {ratio:.2f} ({verdict}, target >= {TARGET_RATIO})"
                         + cpu)
    lines.append(f"full store: {report['args']['store']} bulk-inserted messages (+ 2 trail events and 1 attachment "
                 f"each) in {report.get('bulk_insert_seconds')} s; whole run {report.get('total_seconds')} s; "
                 f"load average at the end {report['machine'].get('loadavg_at_end')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    run_and_report("postfach-mailbox", args, lambda workdir: run(args, workdir), render)


if __name__ == "__main__":
    main()
