"""Snapshots of the whole suite: ``GET /_emulator/snapshot`` collects every service's data (kit/snapshot.py),
``POST /_emulator/snapshot`` puts it back — after every service has checked its part, so that a snapshot one service
refuses changes no service. On disk (``basisdienste export``, ``up --import``, ``up --export-on-exit``) a snapshot is
a directory a team can diff and share::

    manifest.json                 format, version, time taken, clock; per service its Alembic revisions and tables
                                  (column types and row counts)
    <service>/<table>.jsonl       one row per line as a JSON object
"""

import asyncio
import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request

from kit.clock import Clock
from kit.peers import Peers
from kit.problems import Problem
from kit.snapshot import FORMAT, VERSION, SnapshotRefused, check_format, decode_clock, set_clock

MANIFEST = "manifest.json"
# Dumping or restoring a large service takes longer than an ordinary control call.
TIMEOUT_SECONDS = 300.0
_NAME = re.compile(r"^[a-z0-9_]{1,63}$")


class SnapshotError(Exception):
    """A snapshot that cannot be read or written; the message names the file and what is wrong."""


# -- the suite's snapshot over HTTP ----------------------------------------------------------------------------

async def _call(peers: Peers, name: str, method: str, path: str, *, headers: dict[str, str] | None = None,
                **kwargs: Any) -> httpx.Response:
    try:
        return await peers.client(name).request(method, path, headers={**(headers or {}), **peers.control_headers()},
                                                timeout=TIMEOUT_SECONDS, **kwargs)
    except httpx.TransportError as exc:
        raise Problem(502, f"{name} is unreachable: {type(exc).__name__}.", type_="upstream-unreachable",
                      title="Bad Gateway", service=name) from exc


def _detail(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return f"HTTP {answer.status_code}: {answer.text[:300]}"
    return str(body.get("detail") or body.get("title") or answer.status_code) if isinstance(body, dict) else str(body)


async def take(peers: Peers, services: list[str], clock: Clock) -> dict[str, Any]:
    """Every service's data, as one document."""
    answers = await asyncio.gather(*(_call(peers, n, "GET", "/_emulator/snapshot") for n in services))
    docs: dict[str, Any] = {}
    for name, answer in zip(services, answers, strict=True):
        if answer.status_code != 200:
            raise Problem(502, f"{name} could not take its snapshot: {_detail(answer)}", type_="upstream-failed",
                          title="Bad Gateway", service=name)
        docs[name] = answer.json()
    # When the file was made (transport time, wall clock); the business clock travels separately in "clock".
    taken = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    return {"format": FORMAT, "version": VERSION, "created_at": taken, "clock": clock.state(), "services": docs}


def _check_suite(doc: Any, services: list[str]) -> dict[str, Any]:
    check_format(doc)
    decode_clock(doc.get("clock"))  # the gateway's own, set last: refused now, before any service changes
    given = doc.get("services")
    if not isinstance(given, dict):
        raise SnapshotRefused("the snapshot names no services")
    unknown = sorted(set(given) - set(services))
    if unknown:
        raise SnapshotRefused(f"the snapshot has data of {unknown[0]!r}, a service this suite does not run")
    missing = [n for n in services if n not in given]
    if missing:
        raise SnapshotRefused(f"the snapshot has no data of {missing[0]!r}")
    return given


async def restore(peers: Peers, services: list[str], clock: Clock, doc: Any) -> dict[str, Any]:
    """Check every service's part, then restore them all; a refusal by any service leaves every service as it was."""
    parts = _check_suite(doc, services)
    bodies = {n: json.dumps(parts[n]).encode() for n in services}
    json_type = {"content-type": "application/json"}

    async def post(name: str, check: bool) -> httpx.Response:
        return await _call(peers, name, "POST", "/_emulator/snapshot", params={"check": "true"} if check else {},
                           content=bodies[name], headers=json_type)

    checks = await asyncio.gather(*(post(n, True) for n in services))
    refused = {n: _detail(a) for n, a in zip(services, checks, strict=True) if a.status_code != 200}
    if refused:
        first = next(iter(refused))
        statuses = {a.status_code for a in checks if a.status_code != 200}
        status = statuses.pop() if len(statuses) == 1 and statuses <= {409, 422} else 422
        raise Problem(status, f"{first}: {refused[first]}" + (
            f" (and {len(refused) - 1} more)" if len(refused) > 1 else "") + "; nothing was changed.",
            type_="snapshot-refused", title="Snapshot refused", services=refused)
    results = {}
    for name in services:
        answer = await post(name, False)
        if answer.status_code != 200:
            raise Problem(502, f"{name} failed to restore a snapshot it had accepted: {_detail(answer)}",
                          type_="upstream-failed", title="Bad Gateway", service=name)
        results[name] = answer.json()
    set_clock(clock, *decode_clock(doc.get("clock")))
    return {"services": results}


def add_snapshot_routes(controls: APIRouter, *, services: list[str], peers: Peers, clock: Clock) -> None:
    @controls.get("/snapshot", name="snapshot")
    async def get_snapshot() -> dict[str, Any]:
        """Every service's data (also signing keys and other tables a reset keeps), restorable with POST."""
        return await take(peers, services, clock)

    @controls.post("/snapshot", name="restore_snapshot",
                   responses={409: {"description": "Taken at other migration revisions"},
                              422: {"description": "Not a snapshot this suite can restore; nothing was changed"}})
    async def post_snapshot(request: Request) -> dict[str, Any]:
        """Replace every service's data by a snapshot's (as GET answers it), and set the clock as it was."""
        try:
            doc = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotRefused(f"not JSON: {exc}", status=400) from exc
        return await restore(peers, services, clock, doc)


# -- the snapshot directory ------------------------------------------------------------------------------------

def check_target(directory: Path) -> None:
    """A snapshot is written only where there is nothing, an empty directory or an earlier snapshot."""
    if directory.exists() and (not directory.is_dir() or (any(directory.iterdir())
                                                           and not (directory / MANIFEST).is_file())):
        raise SnapshotError(f"{directory} exists and is not a snapshot directory; not overwriting it")


def write(directory: Path, doc: dict[str, Any]) -> int:
    """Write a suite snapshot to ``directory`` (replacing an earlier snapshot there); answers the rows written.

    Written beside it first and moved into place, so that an interrupted export never leaves half a snapshot."""
    directory = directory.resolve()
    check_target(directory)
    partial = directory.with_name(f".{directory.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    manifest: dict[str, Any] = {k: doc[k] for k in ("format", "version", "created_at", "clock")}
    manifest["services"] = {}
    total = 0
    for name, part in doc["services"].items():
        (partial / name).mkdir()
        tables = {}
        for table, content in part["tables"].items():
            with (partial / name / f"{table}.jsonl").open("w", encoding="utf-8") as out:
                for row in content["rows"]:
                    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            tables[table] = {"columns": content["columns"], "rows": len(content["rows"])}
            total += len(content["rows"])
        manifest["services"][name] = {"revisions": part["revisions"], "clock": part.get("clock"), "tables": tables}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
    if directory.exists():
        directory.rename(old)
    partial.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return total


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: not readable JSON: {exc}") from exc


def read(directory: Path) -> dict[str, Any]:
    """A snapshot directory as the document ``POST /_emulator/snapshot`` takes; refuses what is not a whole one."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise SnapshotError(f"{directory}: no {MANIFEST}; not a Basisdienste snapshot")
    manifest = _json_file(manifest_path)
    try:
        check_format(manifest)
    except SnapshotRefused as exc:
        raise SnapshotError(f"{manifest_path}: {exc.detail}") from None
    services = manifest.get("services")
    if not isinstance(services, dict) or not services:
        raise SnapshotError(f"{manifest_path}: names no services")
    docs = {}
    for name, part in services.items():
        if not _NAME.match(str(name)) or not isinstance(part, dict) or not isinstance(part.get("tables"), dict):
            raise SnapshotError(f"{manifest_path}: services.{name}: expected a service with its tables")
        tables = {}
        for table, info in part["tables"].items():
            if not _NAME.match(str(table)) or not isinstance(info, dict):
                raise SnapshotError(f"{manifest_path}: services.{name}.tables.{table}: not a table")
            tables[table] = {"columns": info.get("columns"), "rows": _rows(directory / name / f"{table}.jsonl",
                                                                           info.get("rows"))}
        docs[name] = {"format": manifest["format"], "version": manifest["version"], "service": name,
                      "revisions": part.get("revisions"), "clock": part.get("clock"), "tables": tables}
    return {"format": manifest["format"], "version": manifest["version"], "created_at": manifest.get("created_at"),
            "clock": manifest.get("clock"), "services": docs}


def _rows(path: Path, expected: Any) -> list[Any]:
    if not path.is_file():
        raise SnapshotError(f"{path}: missing (the manifest lists this table)")
    rows = []
    with path.open(encoding="utf-8") as lines:
        try:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SnapshotError(f"{path} line {number}: not JSON: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise SnapshotError(f"{path}: not UTF-8: {exc}") from exc
    if expected != len(rows):
        raise SnapshotError(f"{path}: holds {len(rows)} rows, the manifest says {expected}; the snapshot is incomplete")
    return rows
