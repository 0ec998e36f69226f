"""Complete FIT-Connect submissions per second: ``python -m benchmarks.postfach.fitconnect``.

One complete submission is what a sender and a subscriber do for one application, over HTTP through the
gateway of ``basisdienste up``: token-cached sender creates (2 announced attachments), uploads 2 attachment JWEs,
submits metadata + data JWEs; the subscriber fetches the submission and both attachments, decrypts all four
JWEs (RSA-OAEP-256/A256GCM, jwcrypto), checks the SHA-512 hashes, and posts an accept SET signed PS512, which the
service verifies. 9 HTTP requests and 4 SETs signed by the service per submission.

Two suites run side by side on fresh data directories (SQLite, default RSA-4096 keys): **empty**, and **full**,
holding 50,000 finished submissions with 150,000 event-log entries (bulk-inserted into its SQLite file before
the measurement). Rounds are interleaved (empty and full, 1 and 8 concurrent clients, order rotating); the
table shows medians over the rounds and full/empty ratios (target: within 20 %, i.e. ratio ≥ 0.8).

Clients run in this process (asyncio + httpx): their crypto (4 RSA-4096 decryptions and one PS512 signature per
submission) shares the machine's CPUs with the servers; the servers' own CPU time per submission is reported
too, as it is steadier on a shared machine. Every server is stopped by its PID. ``--help`` lists the knobs.
"""

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import random
import sqlite3
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from jwcrypto import jwe, jwk, jws

from benchmarks.gateway.bench import (
    BenchmarkError,
    Fleet,
    Server,
    cpu_seconds,
    git_revision,
    machine,
    machine_busy_seconds,
    own_cpu_seconds,
    run_and_report,
    server_env,
    suite_healthy,
    wait_healthy,
)

REPO = Path(__file__).resolve().parents[2]
PORTS = range(18200, 18300)
SUB = "/postfach/fitconnect/submission-api"
TOKEN = "/postfach/fitconnect/token"
EVENTS = "https://schema.fitko.de/fit-connect/events/"
SET_SCHEMA = "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json"
LEIKA = "urn:de:fim:leika:leistung:99050012104000"
KOBLENZ_ARS = "071110000000"
SENDER = ("fitconnect-sender", "fitconnect-sender-secret")
SUBSCRIBER = ("fitconnect-subscriber-koblenz", "fitconnect-subscriber-koblenz-secret")
TARGET_RATIO = 0.8
ATTACHMENT = b"%PDF-1.7 " + bytes(range(256)) * 64  # 16 kB


def _port_pair() -> tuple[int, int]:
    import socket

    found = []
    for port in random.sample(list(PORTS), len(PORTS)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            found.append(port)
        if len(found) == 2:
            return found[0], found[1]
    raise BenchmarkError("no two free ports in 18200-18299")


# --- the clients -----------------------------------------------------------------------------------------


class Destination:
    def __init__(self, destination_id: str, public: dict[str, Any], private: dict[str, Any]) -> None:
        self.id = destination_id
        self.public = jwk.JWK(**public)
        self.kid = public["kid"]
        self.decrypt_key = jwk.JWK(**{**private["encryption"], "key_ops": ["unwrapKey"]})
        self.sign_key = jwk.JWK(**{**private["signing"], "key_ops": ["sign"]})
        self.sign_kid = private["signing"]["kid"]


def _encrypt(destination: Destination, payload: bytes, cty: str) -> str:
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": cty, "kid": destination.kid}
    return jwe.JWE(payload, recipient=destination.public, protected=json.dumps(header)).serialize(compact=True)


def _decrypt(destination: Destination, token: str) -> bytes:
    message = jwe.JWE()
    message.deserialize(token, key=destination.decrypt_key)
    return message.payload


async def _token(client: httpx.AsyncClient, credentials: tuple[str, str]) -> dict[str, str]:
    answer = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": credentials[0],
                                            "client_secret": credentials[1]})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _ok(answer: httpx.Response, status: int) -> httpx.Response:
    if answer.status_code != status:
        raise BenchmarkError(f"{answer.request.method} {answer.request.url.path}: {answer.status_code} "
                             f"{answer.text[:300]}")
    return answer


async def one_submission(client: httpx.AsyncClient, destination: Destination, sender: dict[str, str],
                         subscriber: dict[str, str]) -> None:
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    created = _ok(await client.post(f"{SUB}/v2/submissions", headers=sender, json={
        "destinationId": destination.id, "announcedAttachments": ids,
        "publicService": {"identifier": LEIKA, "name": "Gewerbeanmeldung"}}), 201).json()
    submission_id, case_id = created["submissionId"], created["caseId"]
    contents = {ids[0]: ATTACHMENT, ids[1]: ATTACHMENT[::-1]}
    for attachment_id, content in contents.items():
        _ok(await client.put(f"{SUB}/v2/submissions/{submission_id}/attachments/{attachment_id}",
                             content=_encrypt(destination, content, "application/pdf"),
                             headers={**sender, "Content-Type": "application/jose"}), 204)
    data = json.dumps({"gewerbe": "Bäckerei", "beginn": "2026-12-01"}).encode()
    metadata = {"$schema": "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json",
                "contentStructure": {
                    "data": {"hash": {"type": "sha512", "content": hashlib.sha512(data).hexdigest()},
                             "submissionSchema": {"schemaUri": "https://schema.fitko.de/fim/s00000096_1.0.schema.json",
                                                  "mimeType": "application/json"}},
                    "attachments": [{"attachmentId": a, "purpose": "attachment", "mimeType": "application/pdf",
                                     "hash": {"type": "sha512", "content": hashlib.sha512(c).hexdigest()}}
                                    for a, c in contents.items()]}}
    _ok(await client.put(f"{SUB}/v2/submissions/{submission_id}", headers=sender, json={
        "encryptedMetadata": _encrypt(destination, json.dumps(metadata).encode(), "application/json"),
        "encryptedData": _encrypt(destination, data, "application/json")}), 200)

    # The subscriber: fetch, decrypt, check hashes, accept.
    submission = _ok(await client.get(f"{SUB}/v2/submissions/{submission_id}", headers=subscriber), 200).json()
    received_metadata = json.loads(_decrypt(destination, submission["encryptedMetadata"]))
    structure = received_metadata["contentStructure"]
    if hashlib.sha512(_decrypt(destination, submission["encryptedData"])).hexdigest() != \
            structure["data"]["hash"]["content"]:
        raise BenchmarkError("data hash mismatch")
    tags: dict[str, Any] = {"metadata": submission["encryptedMetadata"].rsplit(".", 1)[1],
                            "data": submission["encryptedData"].rsplit(".", 1)[1], "attachments": {}}
    for entry in structure["attachments"]:
        token = _ok(await client.get(f"{SUB}/v2/submissions/{submission_id}/attachments/{entry['attachmentId']}",
                                     headers=subscriber), 200).text
        if hashlib.sha512(_decrypt(destination, token)).hexdigest() != entry["hash"]["content"]:
            raise BenchmarkError("attachment hash mismatch")
        tags["attachments"][entry["attachmentId"]] = token.rsplit(".", 1)[1]
    claims = {"$schema": SET_SCHEMA, "jti": str(uuid.uuid4()), "iss": destination.id, "iat": int(time.time()),
              "sub": f"submission:{submission_id}", "txn": f"case:{case_id}",
              "events": {EVENTS + "accept-submission": {"authenticationTags": tags}}}
    signed = jws.JWS(json.dumps(claims).encode())
    signed.add_signature(destination.sign_key, alg="PS512", protected=json.dumps(
        {"alg": "PS512", "typ": "secevent+jwt", "kid": destination.sign_kid}))
    _ok(await client.post(f"{SUB}/v2/cases/{case_id}/events", content=signed.serialize(compact=True),
                          headers={**subscriber, "Content-Type": "application/jose"}), 204)


async def load(server: Server, destination: Destination, concurrency: int, seconds: float) -> dict[str, Any]:
    """``concurrency`` clients submit in a closed loop for ``seconds``; answers rate and latency."""
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=server.base, timeout=60, limits=limits) as client:
        sender, subscriber = await _token(client, SENDER), await _token(client, SUBSCRIBER)
        latencies: list[float] = []
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                await one_submission(client, destination, sender, subscriber)
                latencies.append(time.perf_counter() - started)

        cpu_before, busy_before, own_before = cpu_seconds(server.proc.pid), machine_busy_seconds(), own_cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(server.proc.pid) - cpu_before
        own_cpu = own_cpu_seconds() - own_before
        busy = machine_busy_seconds() - busy_before
    done = len(latencies)
    return {"submissions": done, "seconds": round(elapsed, 2), "per_s": done / elapsed,
            "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
            "server_cpu_ms_per_submission": server_cpu / done * 1000 if done else None,
            "client_cpu_ms_per_submission": own_cpu / done * 1000 if done else None,
            "foreign_cores": max(0.0, (busy - server_cpu - own_cpu) / elapsed)}


# --- the store ----------------------------------------------------------------------------------------------


def fill(database: Path, destinations: list[str], count: int) -> float:
    """Bulk-insert ``count`` finished submissions with three log entries each, as the service would hold them
    after weeks of use; answers seconds taken."""
    started = time.perf_counter()
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    service = json.dumps({"identifier": LEIKA, "name": "Gewerbeanmeldung"})
    submissions, events = [], []
    for i in range(count):
        submission_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
        at = (base + dt.timedelta(seconds=30 * i)).isoformat(sep=" ")
        status = "rejected" if i % 10 == 0 else "accepted"
        submissions.append((submission_id, case_id, destinations[i % len(destinations)], SENDER[0], "v2", service,
                            None, "[]", 0, status, None, None, "[]", at, at, at, None, at))
        for name in ("create-submission", "submit-submission", status[:-2] + "-submission"):
            events.append((str(uuid.uuid4()), case_id, submission_id, name, "bulk", "eyJ.bulk." + "x" * 600, at))
    with sqlite3.connect(database, timeout=30) as connection:
        connection.executemany(
            "INSERT INTO fc_submissions (submission_id, case_id, destination_id, sender_client_id, api_version, "
            "public_service, region, announced_attachments, bidirectional, status, encrypted_metadata, "
            "encrypted_data, warnings, created_at, submitted_at, forwarded_at, contact_notified_at, finished_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", submissions)
        connection.executemany("INSERT INTO fc_events (jti, case_id, submission_id, event, issuer, token, "
                               "created_at) VALUES (?,?,?,?,?,?,?)", events)
    return time.perf_counter() - started


# --- the run ------------------------------------------------------------------------------------------------


def _start(fleet: Fleet, workdir: Path, name: str, port: int, args: argparse.Namespace) -> Server:
    data = workdir / name
    env = server_env({"BASISDIENSTE_POSTFACH_FITCONNECT_KEY_BITS": str(args.key_bits),
                      "BASISDIENSTE_LOG_LEVEL": "WARNING"})
    return fleet.launch(name, ["up", "--data-dir", str(data)], port=port, env=env)


def _destination(server: Server) -> Destination:
    with httpx.Client(base_url=server.base, timeout=120) as client:
        seed = client.get("/_emulator/seed").json()["postfach"]["fitconnect"]
        destination_id = next(d["destinationId"] for d in seed["destinations"] if d["ars"] == KOBLENZ_ARS)
        described = client.get(f"{SUB}/v2/destinations/{destination_id}").json()  # waits for the keys
        public = client.get(f"{SUB}/v2/destinations/{destination_id}/keys/{described['encryptionKid']}").json()
        private = client.get(f"/_emulator/postfach/fitconnect/destinations/{destination_id}/private-keys").json()
        return Destination(destination_id, public, private)


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    fleet = Fleet(workdir)
    started = time.perf_counter()
    try:
        port_empty, port_full = _port_pair()
        servers = {"empty": _start(fleet, workdir, "empty", port_empty, args)}
        wait_healthy(servers["empty"], timeout=180, healthy=suite_healthy)
        destinations = {"empty": _destination(servers["empty"])}  # answers once the keys exist
        # The full suite starts from a copy of the empty one's database: same keys, no second key generation.
        (workdir / "full").mkdir()
        with sqlite3.connect(workdir / "empty" / "postfach.sqlite3") as source, \
                sqlite3.connect(workdir / "full" / "postfach.sqlite3") as target:
            source.backup(target)
        servers["full"] = _start(fleet, workdir, "full", port_full, args)
        wait_healthy(servers["full"], timeout=180, healthy=suite_healthy)
        destinations["full"] = _destination(servers["full"])
        with httpx.Client(base_url=servers["full"].base) as client:
            all_ids = [d["destinationId"] for d in
                       client.get("/_emulator/seed").json()["postfach"]["fitconnect"]["destinations"]]
        fill_seconds = fill(workdir / "full" / "postfach.sqlite3", all_ids, args.stored)
        print(f"stored {args.stored} submissions in {fill_seconds:.1f} s", flush=True)
        runs: dict[str, list[dict[str, Any]]] = {}
        plan = [(store, c) for c in args.concurrency for store in ("empty", "full")]
        for round_no in range(args.rounds):
            order = plan[round_no % len(plan):] + plan[:round_no % len(plan)]
            for store, concurrency in order:
                asyncio.run(load(servers[store], destinations[store], concurrency, args.warmup))
                result = asyncio.run(load(servers[store], destinations[store], concurrency, args.duration))
                runs.setdefault(f"{store}-{concurrency}", []).append(result)
                print(f"round {round_no + 1} {store:5} c={concurrency}: {result['per_s']:.1f}/s "
                      f"p50 {result['p50_ms']:.0f} ms", flush=True)
    finally:
        fleet.stop_all()
    summary = {}
    for key, results in runs.items():
        summary[key] = {name: round(statistics.median(r[name] for r in results), 2)
                        for name in ("per_s", "p50_ms", "server_cpu_ms_per_submission",
                                     "client_cpu_ms_per_submission", "foreign_cores")}
    ratios = {str(c): round(summary[f"full-{c}"]["per_s"] / summary[f"empty-{c}"]["per_s"], 3)
              for c in args.concurrency}
    # Server CPU per submission, empty over full: the same comparison, far less disturbed by other load.
    cpu_ratios = {str(c): round(summary[f"empty-{c}"]["server_cpu_ms_per_submission"]
                                / summary[f"full-{c}"]["server_cpu_ms_per_submission"], 3)
                  for c in args.concurrency}
    return {"benchmark": "postfach.fitconnect", "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git": git_revision(), "machine": machine(), "stored": args.stored, "key_bits": args.key_bits,
            "fill_seconds": round(fill_seconds, 1), "rounds": runs, "summary": summary, "ratios": ratios,
            "cpu_ratios": cpu_ratios, "target_ratio": TARGET_RATIO,
            "wall_seconds": round(time.perf_counter() - started, 1)}


def render(report: dict[str, Any]) -> str:
    lines = [f"FIT-Connect complete submissions/s (create, 2 uploads, submit, fetch + 2 attachments, accept), "
             f"RSA-{report['key_bits']}, medians of {len(next(iter(report['rounds'].values())))} rounds",
             "", "| store | clients | submissions/s | p50 ms | server CPU ms/sub | client CPU ms/sub | other load |",
             "|---|---|---|---|---|---|---|"]
    for key, row in report["summary"].items():
        store, concurrency = key.split("-")
        lines.append(f"| {store} | {concurrency} | {row['per_s']:.1f} | {row['p50_ms']:.0f} | "
                     f"{row['server_cpu_ms_per_submission']:.0f} | {row['client_cpu_ms_per_submission']:.0f} | "
                     f"{row['foreign_cores']:.2f} |")
    lines.append("")
    for concurrency, ratio in report["ratios"].items():
        verdict = "PASS" if ratio >= report["target_ratio"] else "MISS"
        lines.append(f"full ({report['stored']:,} stored) / empty at {concurrency} clients: {ratio:.2f}  "
                     f"[{verdict}: target ≥ {report['target_ratio']}]; by server CPU per submission: "
                     f"{report['cpu_ratios'][concurrency]:.2f}")
    lines.append(f"wall time {report['wall_seconds']} s")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.postfach.fitconnect", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=6.0, help="seconds of each measured run (6)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of an uncounted run before each (1)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8], help="client counts (1 8)")
    parser.add_argument("--stored", type=int, default=50_000, help="submissions in the full store (50000)")
    parser.add_argument("--key-bits", type=int, default=4096, help="destination and service key size (4096)")
    parser.add_argument("--results-dir", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--keep", action="store_true", help="keep the work directory with data and logs")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.rounds < 1 or args.duration <= 0 or min(args.concurrency) < 1:
        raise SystemExit("--rounds, --duration and --concurrency must be positive")
    run_and_report("postfach-fitconnect", args, lambda workdir: run(args, workdir), render)


if __name__ == "__main__":
    main()
