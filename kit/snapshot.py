"""State snapshots of one service: every table of the service's metadatas — the ones a reset keeps too (signing
keys, the test PKI, the at-rest key) — dumped as portable JSON and restored in one transaction.

Values are typed by their column, not by the database: times as ISO 8601 with offset, bytes as base64, JSON as JSON,
so a snapshot taken on SQLite restores on PostgreSQL and back. A snapshot names its format version and the Alembic
revisions of the database it came from; it restores only into a database at the same revisions. Everything is
checked before anything is written, and a restore that the database refuses (a duplicate key) is rolled back whole.
After a restore the service reloads what it keeps in memory exactly as after a reset (its ``populate`` hook).

The gateway fans ``GET|POST /_emulator/snapshot`` out to every service and keeps the files (gateway/snapshots.py).
JSON null and SQL NULL in a nullable JSON column both restore as JSON null: the services read both as None.
"""

import asyncio
import base64
import binascii
import datetime as dt
import decimal
import json
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Column, Table, TypeDecorator, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from kit.db import Database
from kit.emulator import control_router
from kit.problems import Problem

if TYPE_CHECKING:
    from kit.clock import Clock
    from kit.service import ServiceRuntime

FORMAT = "basisdienste-snapshot"
VERSION = 1
_ATTEMPTS = 3
_INSERT_CHUNK = 500
# The kit's own table whose leases belong to the process that took them: a restored message is due at once.
_OUTBOX_TABLE, _OUTBOX_LEASE = "outbox_messages", "locked_until"


class SnapshotRefused(Problem):
    """A snapshot this service will not restore; nothing was written."""

    def __init__(self, detail: str, status: int = 422) -> None:
        super().__init__(status, detail, type_="snapshot-refused", title="Snapshot refused")


# -- values ----------------------------------------------------------------------------------------------------

def column_kind(column: Column[Any]) -> str:
    """How a column's values travel in a snapshot (the column's type, whatever the database stores)."""
    kind = column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type
    for cls, name in ((sqltypes.JSON, "json"), (sqltypes.LargeBinary, "bytes"), (sqltypes.DateTime, "datetime"),
                      (sqltypes.Date, "date"), (sqltypes.Time, "time"), (sqltypes.Boolean, "boolean"),
                      (sqltypes.Integer, "integer"), (sqltypes.Float, "float"), (sqltypes.Numeric, "decimal"),
                      (sqltypes.Uuid, "uuid"), (sqltypes.String, "string")):
        if isinstance(kind, cls):
            return name
    raise TypeError(f"column {column.table.name}.{column.name} has a type snapshots cannot carry: {column.type}")


def _iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


_ENCODE: dict[str, Callable[[Any], Any]] = {
    "json": lambda v: v,
    "bytes": lambda v: base64.b64encode(v).decode(),
    "datetime": _iso,
    "date": lambda v: v.isoformat(),
    "time": lambda v: v.isoformat(),
    "boolean": bool,
    "integer": int,
    "float": float,
    "decimal": str,
    "uuid": str,
    "string": str,
}


def _decode_datetime(value: Any, column: Column[Any]) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 time")
    parsed = dt.datetime.fromisoformat(value)
    aware = getattr(column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type,
                    "timezone", False)
    if aware and parsed.tzinfo is None:
        raise ValueError("expected an ISO 8601 time with a UTC offset")
    return parsed


def _decode_bytes(value: Any, _: Column[Any]) -> bytes:
    if not isinstance(value, str):
        raise ValueError("expected base64")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ValueError("expected base64") from exc


def _typed(check: type | tuple[type, ...], convert: Callable[[Any], Any], what: str) -> Callable[..., Any]:
    wants_bool = check is bool

    def decode(value: Any, _: Column[Any]) -> Any:
        # JSON's true is Python's True, an int too: only a boolean column takes it.
        if not isinstance(value, check) or (isinstance(value, bool) and not wants_bool):
            raise ValueError(f"expected {what}")
        return convert(value)
    return decode


_DECODE: dict[str, Callable[[Any, Column[Any]], Any]] = {
    "json": lambda v, _: v,
    "bytes": _decode_bytes,
    "datetime": _decode_datetime,
    "date": _typed(str, dt.date.fromisoformat, "an ISO 8601 date"),
    "time": _typed(str, dt.time.fromisoformat, "an ISO 8601 time of day"),
    "boolean": _typed(bool, bool, "true or false"),
    "integer": _typed(int, int, "an integer"),
    "float": _typed((int, float), float, "a number"),
    "decimal": _typed(str, decimal.Decimal, "a decimal number as a string"),
    "uuid": _typed(str, uuid.UUID, "a UUID"),
    "string": _typed(str, str, "a string"),
}


def encode_row(table: Table, row: Any) -> dict[str, Any]:
    mapping = row._mapping
    return {c.name: None if mapping[c] is None else _ENCODE[column_kind(c)](mapping[c]) for c in table.columns}


def decode_row(table: Table, row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise SnapshotRefused(f"{where}: a row must be a JSON object")
    names = {c.name for c in table.columns}
    unknown = sorted(set(row) - names)
    if unknown:
        raise SnapshotRefused(f"{where}: unknown column {unknown[0]!r} in table {table.name!r}")
    missing = sorted(names - set(row))
    if missing:
        raise SnapshotRefused(f"{where}: column {missing[0]!r} is missing")
    values: dict[str, Any] = {}
    for column in table.columns:
        value = row[column.name]
        if value is None:
            if not column.nullable:
                raise SnapshotRefused(f"{where}: column {column.name!r} may not be null")
            values[column.name] = None
            continue
        try:
            values[column.name] = _DECODE[column_kind(column)](value, column)
        except (ValueError, decimal.InvalidOperation) as exc:
            raise SnapshotRefused(f"{where}: column {column.name!r}: {exc}") from exc
    if table.name == _OUTBOX_TABLE and _OUTBOX_LEASE in values:
        values[_OUTBOX_LEASE] = None
    return values


# -- dump ------------------------------------------------------------------------------------------------------

def service_tables(runtime: "ServiceRuntime") -> list[Table]:
    """Every table the service owns, parents before children."""
    return [t for md in runtime.metadatas for t in md.sorted_tables]


async def revisions(db: Database) -> list[str]:
    """The Alembic revisions the database is at (one per branch: the kit's and the service's)."""
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return sorted((await autocommit.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def dump(runtime: "ServiceRuntime") -> dict[str, Any]:
    """The service's data as one JSON document, read in one transaction so that the tables agree."""
    tables = service_tables(runtime)
    db = runtime.db
    options = {} if db.target.is_sqlite else {"isolation_level": "REPEATABLE READ"}
    current = await revisions(db)
    body: dict[str, Any] = {}
    async with db.engine.connect() as connection:
        connection = await connection.execution_options(**options)
        async with connection.begin():
            for table in tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows = (await connection.execute(select(table).order_by(*order))).all()
                body[table.name] = {"columns": {c.name: column_kind(c) for c in table.columns},
                                    "rows": [encode_row(table, r) for r in rows]}
    return {"format": FORMAT, "version": VERSION, "service": runtime.settings.name, "revisions": current,
            "clock": runtime.clock.state(), "tables": body}


# -- restore ---------------------------------------------------------------------------------------------------

def check_format(doc: Any) -> None:
    """Format and version of a snapshot document, of one service or of the whole suite."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotRefused(f"not a Basisdienste snapshot (expected \"format\": \"{FORMAT}\")")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise SnapshotRefused("the snapshot has no format version")
    if version < VERSION:
        raise SnapshotRefused(f"snapshot format version {version} is older than the version {VERSION} this suite "
                              "reads; take the snapshot again with the suite that made it, or start that version")
    if version > VERSION:
        raise SnapshotRefused(f"snapshot format version {version} is newer than the version {VERSION} this suite "
                              "reads; restore it with a newer Basisdienste")


def check_header(doc: Any, service: str) -> None:
    """Format, version and service of a snapshot document (its tables are checked by :func:`decode`)."""
    check_format(doc)
    if doc.get("service") != service:
        raise SnapshotRefused(f"this is a snapshot of {doc.get('service')!r}, not of {service!r}")


def decode(runtime: "ServiceRuntime", doc: Any) -> dict[Table, list[dict[str, Any]]]:
    """Every row of the snapshot as database values; refuses anything this service's schema does not hold."""
    name = runtime.settings.name
    check_header(doc, name)
    tables = {t.name: t for t in service_tables(runtime)}
    given = doc.get("tables")
    if not isinstance(given, dict):
        raise SnapshotRefused("the snapshot has no tables")
    unknown = sorted(set(given) - set(tables))
    if unknown:
        raise SnapshotRefused(f"unknown table {unknown[0]!r}: {name} has no such table")
    missing = sorted(set(tables) - set(given))
    if missing:
        raise SnapshotRefused(f"table {missing[0]!r} is missing from the snapshot")
    decoded: dict[Table, list[dict[str, Any]]] = {}
    for table_name, table in tables.items():
        content = given[table_name]
        if not isinstance(content, dict) or not isinstance(content.get("rows"), list):
            raise SnapshotRefused(f"table {table_name!r}: expected an object with \"rows\"")
        columns = content.get("columns")
        expected = {c.name: column_kind(c) for c in table.columns}
        if columns is not None and columns != expected:
            raise SnapshotRefused(f"table {table_name!r}: its columns {columns} are not this schema's {expected}")
        decoded[table] = [decode_row(table, row, f"table {table_name!r} row {i + 1}")
                          for i, row in enumerate(content["rows"])]
    return decoded


def decode_clock(clock: Any) -> tuple[dt.datetime | None, dt.timedelta]:
    """A snapshot's clock (as ``Clock.state()`` answers it) as the frozen time or the offset to restore."""
    if clock is None:
        return None, dt.timedelta()
    if not isinstance(clock, dict):
        raise SnapshotRefused("clock: expected an object with \"now\", \"frozen\" and \"offset_seconds\"")
    try:
        offset = dt.timedelta(seconds=float(clock.get("offset_seconds") or 0))
        frozen = dt.datetime.fromisoformat(clock["now"]) if clock.get("frozen") else None
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise SnapshotRefused(f"clock: {exc}") from exc
    if frozen is not None and frozen.tzinfo is None:
        raise SnapshotRefused("clock: the frozen time has no UTC offset")
    return frozen, offset


def set_clock(clock: "Clock", frozen: dt.datetime | None, offset: dt.timedelta) -> None:
    clock.release()
    if frozen is not None:
        clock.freeze(frozen)
    elif offset:
        clock.advance(offset)


async def _write(db: Database, rows: dict[Table, list[dict[str, Any]]], *, commit: bool) -> None:
    tables = list(rows)
    async with db.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            if db.target.is_sqlite:
                # Checked at commit: rows may come in any order (SQLite resets the pragma with the transaction).
                await connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
                for table in reversed(tables):
                    await connection.execute(table.delete())
            else:
                names = ", ".join(f'"{t.name}"' for t in tables)
                await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table, values in rows.items():
                for start in range(0, len(values), _INSERT_CHUNK):
                    await connection.execute(table.insert(), values[start:start + _INSERT_CHUNK])
            if db.target.is_sqlite:
                # Deferred checks run at COMMIT only: a trial that rolls back would never see a missing parent.
                await _check_foreign_keys(connection)
            else:
                await _advance_sequences(connection, tables)
        except BaseException:
            await transaction.rollback()
            raise
        if commit:
            await transaction.commit()
        else:
            await transaction.rollback()


async def _check_foreign_keys(connection: AsyncConnection) -> None:
    violation = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).first()
    if violation is not None:
        table, rowid, parent = violation[0], violation[1], violation[2]
        raise SnapshotRefused(f"table {table!r}: a row (rowid {rowid}) refers to a row of {parent!r} that the "
                              "snapshot does not hold")


async def _advance_sequences(connection: AsyncConnection, tables: list[Table]) -> None:
    """PostgreSQL's serial columns keep counting from their sequence, not from the rows: move it past them."""
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and column_kind(key[0]) == "integer" and key[0].autoincrement in (True, "auto"):
            column = key[0].name
            # Names from the service's own metadata, never from the snapshot.
            statement = (f'SELECT setval(pg_get_serial_sequence(:table, :column), '  # noqa: S608
                         f'COALESCE(MAX("{column}"), 0) + 1, false) FROM "{table.name}"')
            await connection.execute(text(statement), {"table": f'"{table.name}"', "column": column})


async def restore(runtime: "ServiceRuntime", doc: Any, *, check_only: bool = False) -> dict[str, Any]:
    """Replace the service's data by the snapshot's, or (``check_only``) try it and roll back."""
    started = time.perf_counter()
    rows = decode(runtime, doc)
    frozen, offset = decode_clock(doc.get("clock"))
    current = await revisions(runtime.db)
    if sorted(doc.get("revisions") or []) != current:
        raise SnapshotRefused(f"the snapshot was taken at migration revisions {sorted(doc.get('revisions') or [])}, "
                              f"this database is at {current}: restore it with the Basisdienste version that made it",
                              status=409)
    # The dispatcher must not deliver (and record) messages of the state being replaced while it is replaced.
    pause = not check_only and runtime.outbox.running
    if pause:
        await runtime.outbox.stop()
    try:
        await _write_retrying(runtime.db, rows, commit=not check_only)
    finally:
        if pause:
            await runtime.outbox.start()
    if not check_only:
        set_clock(runtime.clock, frozen, offset)
        # Caches of database data (key rings, credentials, clients) are reloaded as after a reset.
        await runtime.hooks.populate(runtime)
    return {"service": runtime.settings.name, "checked" if check_only else "restored": True,
            "rows": sum(len(v) for v in rows.values()), "ms": round((time.perf_counter() - started) * 1000, 2)}


async def _write_retrying(db: Database, rows: dict[Table, list[dict[str, Any]]], *, commit: bool) -> None:
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            await _write(db, rows, commit=commit)
            return
        except DBAPIError as exc:
            # A background worker holding a row lock can deadlock with the TRUNCATE (see Database.truncate).
            if attempt < _ATTEMPTS and getattr(exc.orig, "sqlstate", None) == "40P01":
                await asyncio.sleep(0.05 * attempt)
                continue
            reason = str(exc.orig).strip().splitlines()[0][:300] if exc.orig is not None else type(exc).__name__
            raise SnapshotRefused(f"the database refused the snapshot: {reason}") from exc


# -- routes ----------------------------------------------------------------------------------------------------

_RESTORE_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "A snapshot as GET /_emulator/snapshot answers it"}}}}}


def snapshot_router() -> APIRouter:
    router = control_router()

    @router.get("/snapshot", name="emulator_snapshot")
    async def take(request: Request) -> JSONResponse:
        """Every table of the service (also those a reset keeps) as portable JSON, with its migration revisions."""
        return JSONResponse(await dump(request.app.state.runtime))

    @router.post("/snapshot", name="emulator_restore_snapshot", openapi_extra=_RESTORE_DOC,
                 responses={409: {"description": "Taken at other migration revisions"},
                            422: {"description": "Not a snapshot of this service, or one its schema cannot hold"}})
    async def put_back(request: Request, check: bool = False) -> dict[str, Any]:
        """Replace the service's data by a snapshot's in one transaction; ``?check=true`` only tries it."""
        try:
            doc = json.loads(await request.body())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotRefused(f"not JSON: {exc}", status=400) from exc
        return await restore(request.app.state.runtime, doc, check_only=check)

    return router
