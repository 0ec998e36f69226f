"""State snapshots of the whole suite (``GET|POST /_emulator/snapshot``), as a user takes and restores them over
HTTP: what a test made through the public APIs (a payment, a Postfach message, an invoice, an identity) comes back
after a reset and still works; a snapshot taken on SQLite restores on PostgreSQL and back; and a snapshot that is
old, of other migrations, broken or of another service is refused with its reason while the state stays as it was."""

import asyncio
import copy
import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from harness.postgres import admin_execute
from harness.suite import EmbeddedSuite
from harness.template import Storage, Template
from tests.bezahlplattform.checkout_tools import Checkout, back
from tests.bezahlplattform.conftest import KOBLENZ, PARKING
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, basic, payment_request
from tests.postfach.mailbox.tools import ERIKA, IndependentAuthor, multipart, service_token
from tests.postfach.mailbox.tools import bearer as pf_bearer
from tests.postfach.mailbox.tools import fields as message_fields
from tests.rechnungseingang.tools import API, bearer, koblenz_invoice, supplier_token, upload

PG_URL = os.environ.get("BASISDIENSTE_TEST_DATABASE_URL")
CARD = {"holder": "Erika Mustermann", "number": "4242424242424242", "expiry": "12/34", "cvc": "123", "action": "pay"}
AUTHOR = IndependentAuthor("Stadt Koblenz, Bürgeramt")
PROBLEM = "application/problem+json"
SERVICES = ("nutzerkonto", "postfach", "bezahlplattform", "bescheid", "rechnungseingang")
MARKER = {"id": "snapshot-marker", "display_name": "Marker", "username": "marker", "methods": ["Benutzername"],
          "attributes": {"givenName": "Mara", "surname": "Marker"}}


def parking(client: httpx.AsyncClient) -> XBezahldiensteClient:
    originator, user, password = PARKING
    return XBezahldiensteClient(client, "/bezahlplattform", originator, KOBLENZ, basic(user, password))


async def send_message(client: httpx.AsyncClient, title: str) -> dict[str, Any]:
    envelope = AUTHOR.envelope(json.dumps(message_fields(ERIKA, title=title)),
                               now=dt.datetime.fromisoformat((await client.get("/_emulator/clock")).json()["now"]))
    answer = await client.post("/postfach/api/v6/messages", files=multipart(envelope),
                               headers=pf_bearer(await service_token(client)))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def erika_titles(client: httpx.AsyncClient) -> list[str]:
    answer = await client.get(f"/_emulator/postfach/mailboxes/{ERIKA}/messages")
    assert answer.status_code == 200, answer.text
    return sorted(m["title"] for m in answer.json()["messages"])


async def outboxes_idle(client: httpx.AsyncClient) -> None:
    """Wait until no service has a message still to deliver (a snapshot taken meanwhile holds it as pending)."""
    for _ in range(200):
        pending = [m for name in SERVICES for m in (await client.get(f"/_emulator/{name}/outbox")).json()
                   if m["status"] == "pending"]
        if not pending:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still pending: {pending}")


async def identity_ids(client: httpx.AsyncClient) -> set[str]:
    return {i["id"] for i in (await client.get("/_emulator/nutzerkonto/identities")).json()}


# Seed rows a service writes again after every restore, as after a reset and at every start (a changed configuration
# applies): their creation time is the restore's.
REWRITTEN_SEED = {("bescheid", "authorities"), ("bescheid", "templates"), ("nutzerkonto", "oidc_clients")}


def tables(doc: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """The rows of a suite snapshot by service and table (what must survive a round trip unchanged)."""
    return {name: {t: [{k: v for k, v in row.items() if not ((name, t) in REWRITTEN_SEED and k == "created_at")}
                       for row in c["rows"]] for t, c in part["tables"].items()}
            for name, part in doc["services"].items()}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Where two suite snapshots differ, table by table and row by row (readable in a failed assertion)."""
    found = []
    left, right = tables(a), tables(b)
    for service in sorted(set(left) | set(right)):
        for table in sorted(set(left.get(service, {})) | set(right.get(service, {}))):
            one, two = left.get(service, {}).get(table), right.get(service, {}).get(table)
            if one == two:
                continue
            if one is None or two is None or len(one) != len(two):
                found.append(f"{service}.{table}: {len(one or [])} rows != {len(two or [])} rows")
                continue
            for index, (x, y) in enumerate(zip(one, two, strict=True)):
                changed = {k: (x.get(k), y.get(k)) for k in set(x) | set(y) if x.get(k) != y.get(k)}
                if changed:
                    found.append(f"{service}.{table}[{index}]: {str(changed)[:400]}")
    return found



# -- round trip ------------------------------------------------------------------------------------------------

async def test_payment_message_invoice_and_identity_come_back_after_a_reset_and_still_work(
        client: httpx.AsyncClient) -> None:
    payment = (await parking(client).create(amount=30.0))["paymentInformation"]
    message = await send_message(client, "Ihr Bescheid zum Parkausweis")
    supplier = await supplier_token(client)
    invoice = await upload(client, supplier, koblenz_invoice(number="SNAP-1"))
    assert invoice.status_code == 201, invoice.text
    assert (await client.post("/_emulator/nutzerkonto/identities", json=MARKER)).status_code == 201

    taken = await client.get("/_emulator/snapshot")
    assert taken.status_code == 200
    snapshot = taken.json()
    assert snapshot["format"] == "basisdienste-snapshot" and snapshot["version"] == 1
    assert {"nutzerkonto", "postfach", "bezahlplattform", "bescheid", "rechnungseingang"} <= set(snapshot["services"])

    assert (await client.post("/_emulator/reset")).status_code == 200
    assert (await parking(client).status_raw(payment["transactionId"])).status_code == 404
    assert await erika_titles(client) == []
    assert "snapshot-marker" not in await identity_ids(client)

    restored = await client.post("/_emulator/snapshot", json=snapshot)
    assert restored.status_code == 200, restored.text
    assert all(r["restored"] for r in restored.json()["services"].values())

    # The payment is back and can still be paid at the hosted checkout.
    assert (await parking(client).status(payment["transactionId"]))["status"] == "INITIAL"
    checkout = Checkout(client, payment["transactionRedirectUrl"], public="http://127.0.0.1:8000")
    assert back(await checkout.pay_with("creditcard", CARD))["status"] == "PAYED"
    assert (await parking(client).status(payment["transactionId"]))["status"] == "PAYED"
    # The message is in Erika's mailbox, readable by its sender with a token issued before the snapshot was taken
    # (the signing keys came back with it) and with a new one.
    assert await erika_titles(client) == ["Ihr Bescheid zum Parkausweis"]
    read = await client.get(f"/postfach/api/v6/messages/{message['messageId']}",
                            headers=pf_bearer(await service_token(client)))
    assert read.status_code == 200 and read.json()["title"] == "Ihr Bescheid zum Parkausweis"
    # The invoice is listed for its supplier (the old token still valid), its Laufzettel readable.
    invoice_id = invoice.json()["id"]
    mine = await client.get(f"{API}/invoices", headers=bearer(supplier))
    assert mine.status_code == 200, mine.text
    assert [i["id"] for i in mine.json()["invoices"]] == [invoice_id]
    laufzettel = await client.get(f"{API}/invoices/{invoice_id}/laufzettel", headers=bearer(supplier))
    assert laufzettel.status_code == 200 and laufzettel.json()["steps"][0]["step"] == "received"
    # The identity made over the control API is back, and a second message goes to the restored mailbox.
    assert "snapshot-marker" in await identity_ids(client)
    await send_message(client, "Zweite Nachricht")
    assert await erika_titles(client) == ["Ihr Bescheid zum Parkausweis", "Zweite Nachricht"]


async def test_the_clock_comes_back_as_it_was(client: httpx.AsyncClient) -> None:
    await client.post("/_emulator/clock", json={"freeze": "2031-05-04T10:00:00Z"})
    snapshot = (await client.get("/_emulator/snapshot")).json()
    await client.post("/_emulator/clock", json={"release": True})

    assert (await client.post("/_emulator/snapshot", json=snapshot)).status_code == 200
    assert (await client.get("/_emulator/clock")).json() == {"now": "2031-05-04T10:00:00Z", "frozen": True,
                                                            "offset_seconds": 0.0}
    health = (await client.get("/health")).json()["services"]
    assert {s["time"].replace("+00:00", "Z") for s in health.values()} == {"2031-05-04T10:00:00Z"}


async def test_a_restored_snapshot_reads_back_unchanged(client: httpx.AsyncClient) -> None:
    await parking(client).create(amount=12.5)
    await send_message(client, "Umlaute: äöüß €")
    await outboxes_idle(client)
    before = (await client.get("/_emulator/snapshot")).json()
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert (await client.post("/_emulator/snapshot", json=before)).status_code == 200
    diff = differences((await client.get("/_emulator/snapshot")).json(), before)
    assert diff == []


# -- across databases ------------------------------------------------------------------------------------------

def _backend_of_template(template: Template) -> str:
    return "postgresql" if template.server_url else "sqlite"


@pytest.fixture
def storage_on(basisdienste_template: Template, tmp_path: Path) -> Iterator[Any]:
    """Storage on the named database: a copy of the template when it is the template's, else a fresh one."""
    made: list[Storage] = []

    def make(backend: str) -> Storage:
        directory = tmp_path / f"data-{len(made)}"
        if backend == _backend_of_template(basisdienste_template):
            storage = basisdienste_template.copy(directory)
            made.append(storage)
            return storage
        url = None
        if backend == "postgresql":
            assert PG_URL
            name = f"bd_snap_{uuid.uuid4().hex[:12]}"
            admin_execute(PG_URL, f'CREATE DATABASE "{name}"')
            url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        storage = Storage(directory, url)  # empty: the suite starts as on a first `basisdienste up`
        made.append(storage)
        return storage

    yield make
    for storage in made:
        if storage.database_url and PG_URL:
            name = make_url(storage.database_url).database
            admin_execute(PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sync_token(http: httpx.Client, resource: str) -> dict[str, str]:
    answer = http.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                       data={"grant_type": "client_credentials", "resource": resource})
    assert answer.status_code == 200, answer.text
    return pf_bearer(answer.json()["access_token"])


def sync_outboxes_idle(http: httpx.Client) -> None:
    for _ in range(200):
        if not any(m["status"] == "pending" for name in SERVICES for m in http.get(f"/_emulator/{name}/outbox").json()):
            return
        time.sleep(0.05)
    raise AssertionError("outbox messages still pending")


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (BASISDIENSTE_TEST_DATABASE_URL)")
@pytest.mark.parametrize(("source", "target"), [("sqlite", "postgresql"), ("postgresql", "sqlite"),
                                                ("postgresql", "postgresql")])
def test_a_snapshot_restores_on_the_other_database(storage_on: Any, source: str, target: str) -> None:
    from_storage, to_storage = storage_on(source), storage_on(target)
    originator, user, password = PARKING
    payments = f"/bezahlplattform/paymenttransaction/{originator}/{KOBLENZ}"
    first = EmbeddedSuite(from_storage)
    try:
        # A suite's first start makes its FIT-Connect keys in the background: the snapshot is to hold all of them.
        first.run(first.service_app("postfach").state.fitconnect.keys.wait())
        with first.http() as http:
            created = http.post(payments, headers=basic(user, password), json=payment_request(amount=21.5))
            assert created.status_code == 200, created.text
            transaction = created.json()["paymentInformation"]["transactionId"]
            assert http.post("/_emulator/nutzerkonto/identities", json=MARKER).status_code == 201
            now = dt.datetime.fromisoformat(http.get("/_emulator/clock").json()["now"])
            envelope = AUTHOR.envelope(json.dumps(message_fields(ERIKA, title="Grüße mit Umlauten €")), now=now)
            sent = http.post("/postfach/api/v6/messages", files=multipart(envelope),
                             headers=sync_token(http, "postfach"))
            assert sent.status_code == 201, sent.text
            sync_outboxes_idle(http)
            snapshot = http.get("/_emulator/snapshot").json()
    finally:
        first.stop()
    second = EmbeddedSuite(to_storage)
    try:
        with second.http() as http:
            restored = http.post("/_emulator/snapshot", json=snapshot)
            assert restored.status_code == 200, restored.text
            assert differences(http.get("/_emulator/snapshot").json(), snapshot) == []
            status = http.get(f"{payments}/{transaction}", headers=basic(user, password))
            assert status.status_code == 200, status.text
            assert status.json()["paymentInformation"]["status"] == "INITIAL"
            assert status.json()["paymentRequest"]["grosAmount"] == 21.5
            assert "snapshot-marker" in {i["id"] for i in http.get("/_emulator/nutzerkonto/identities").json()}
            # The message was sealed at rest with the source's key, which came along: it reads as sent.
            message = f"/postfach/api/v6/messages/{sent.json()['messageId']}"
            read = http.get(message, headers=sync_token(http, "postfach"))
            assert read.status_code == 200, read.text
            assert read.json()["title"] == "Grüße mit Umlauten €"
            # New rows after the restored ones: PostgreSQL's sequences were moved past them.
            again = http.post(payments, headers=basic(user, password), json=payment_request(amount=3.0))
            assert again.status_code == 200, again.text
            envelope = AUTHOR.envelope(json.dumps(message_fields(ERIKA, title="Zweite")), now=now)
            assert http.post("/postfach/api/v6/messages", files=multipart(envelope),
                             headers=sync_token(http, "postfach")).status_code == 201
    finally:
        second.stop()


# -- refusals --------------------------------------------------------------------------------------------------

async def refused(client: httpx.AsyncClient, status: int, *, json_body: Any = None, content: bytes | None = None,
                  path: str = "/_emulator/snapshot") -> str:
    if content is None:
        content = json.dumps(json_body).encode()
    answer = await client.post(path, content=content, headers={"content-type": "application/json"})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    return str(answer.json()["detail"])


@pytest.fixture
async def seed_snapshot_and_marker(client: httpx.AsyncClient) -> dict[str, Any]:
    """A snapshot of the seed state, taken before a marker identity was made: a restore that slipped through would
    take the marker away."""
    snapshot = (await client.get("/_emulator/snapshot")).json()
    assert (await client.post("/_emulator/nutzerkonto/identities", json=MARKER)).status_code == 201
    return snapshot  # type: ignore[no-any-return]


async def assert_untouched(client: httpx.AsyncClient, before: dict[str, Any]) -> None:
    assert "snapshot-marker" in await identity_ids(client)
    diff = differences((await client.get("/_emulator/snapshot")).json(), before)
    assert diff == []


async def test_old_and_new_format_versions_are_refused_with_the_reason(
        client: httpx.AsyncClient, seed_snapshot_and_marker: dict[str, Any]) -> None:
    now = (await client.get("/_emulator/snapshot")).json()
    old = {**seed_snapshot_and_marker, "version": 0}
    assert "format version 0 is older" in await refused(client, 422, json_body=old)
    newer = {**seed_snapshot_and_marker, "version": 2}
    assert "format version 2 is newer" in await refused(client, 422, json_body=newer)
    # The version of a service's part is checked too.
    part = copy.deepcopy(seed_snapshot_and_marker)
    part["services"]["bescheid"]["version"] = 0
    detail = await refused(client, 422, json_body=part)
    assert "bescheid" in detail and "older" in detail
    await assert_untouched(client, now)


async def test_other_migration_revisions_are_refused_with_both_revisions(
        client: httpx.AsyncClient, seed_snapshot_and_marker: dict[str, Any]) -> None:
    now = (await client.get("/_emulator/snapshot")).json()
    doc = copy.deepcopy(seed_snapshot_and_marker)
    doc["services"]["postfach"]["revisions"] = ["pf_fc_0000", "pf_mb_0001"]
    detail = await refused(client, 409, json_body=doc)
    assert "postfach" in detail and "pf_fc_0000" in detail
    assert "pf_mb_0003" in detail  # what this database is at
    await assert_untouched(client, now)


async def test_truncated_and_garbage_bodies_are_refused_as_not_json(
        client: httpx.AsyncClient, seed_snapshot_and_marker: dict[str, Any]) -> None:
    now = (await client.get("/_emulator/snapshot")).json()
    whole = json.dumps(seed_snapshot_and_marker).encode()
    assert "not JSON" in await refused(client, 400, content=whole[: len(whole) // 2])
    assert "not JSON" in await refused(client, 400, content=b"\x00\xffgarbage\x89PNG")
    assert "not JSON" in await refused(client, 400, content=b"")
    assert "not a Basisdienste snapshot" in await refused(client, 422, json_body={"hello": "world"})
    assert "not a Basisdienste snapshot" in await refused(client, 422, json_body=[1, 2, 3])
    await assert_untouched(client, now)


async def test_a_snapshot_of_another_service_is_refused(
        client: httpx.AsyncClient, seed_snapshot_and_marker: dict[str, Any]) -> None:
    now = (await client.get("/_emulator/snapshot")).json()
    doc = copy.deepcopy(seed_snapshot_and_marker)
    doc["services"]["postfach"] = doc["services"]["bescheid"]
    detail = await refused(client, 422, json_body=doc)
    assert "postfach" in detail and "'bescheid', not of 'postfach'" in detail
    # Directly at one service's control: the Nutzerkonto's data is not the Postfach's.
    detail = await refused(client, 422, json_body=seed_snapshot_and_marker["services"]["nutzerkonto"],
                           path="/_emulator/postfach/snapshot")
    assert "'nutzerkonto', not of 'postfach'" in detail
    # Another service's tables under this service's name.
    renamed = {**seed_snapshot_and_marker["services"]["bescheid"], "service": "postfach"}
    assert "unknown table" in await refused(client, 422, json_body=renamed, path="/_emulator/postfach/snapshot")
    # A service the suite does not run.
    extra = copy.deepcopy(seed_snapshot_and_marker)
    extra["services"]["steueramt"] = extra["services"]["bescheid"]
    assert "'steueramt'" in await refused(client, 422, json_body=extra)
    await assert_untouched(client, now)


async def test_corrupt_rows_are_refused_naming_table_row_and_column(
        client: httpx.AsyncClient, seed_snapshot_and_marker: dict[str, Any]) -> None:
    now = (await client.get("/_emulator/snapshot")).json()
    doc = copy.deepcopy(seed_snapshot_and_marker)
    doc["services"]["rechnungseingang"]["tables"]["leitweg_ids"]["rows"][0]["created_at"] = "gestern"
    detail = await refused(client, 422, json_body=doc)
    assert "rechnungseingang" in detail and "leitweg_ids" in detail and "row 1" in detail and "created_at" in detail
    # A duplicate key only the database sees: refused by the check, nothing of any service written.
    doc = copy.deepcopy(seed_snapshot_and_marker)
    rows = doc["services"]["rechnungseingang"]["tables"]["leitweg_ids"]["rows"]
    rows.append(dict(rows[0]))
    doc["services"]["nutzerkonto"]["tables"]["identities"]["rows"] = []
    detail = await refused(client, 422, json_body=doc)
    assert "the database refused the snapshot" in detail
    # A missing table.
    doc = copy.deepcopy(seed_snapshot_and_marker)
    del doc["services"]["bezahlplattform"]["tables"]["endpoints"]
    assert "'endpoints' is missing" in await refused(client, 422, json_body=doc)
    await assert_untouched(client, now)


async def test_a_row_whose_parent_is_missing_is_refused_by_the_check_and_no_service_changes(
        client: httpx.AsyncClient, seed_snapshot_and_marker: dict[str, Any]) -> None:
    now = (await client.get("/_emulator/snapshot")).json()
    doc = copy.deepcopy(seed_snapshot_and_marker)
    # The last service restored: every other one would have been replaced already if its check let this through.
    doc["services"]["rechnungseingang"]["tables"]["leitweg_ids"]["rows"][0]["ars"] = "000000000000"
    detail = await refused(client, 422, json_body=doc)
    assert "rechnungseingang" in detail and "leitweg_ids" in detail
    await assert_untouched(client, now)


async def test_a_broken_clock_is_refused_before_any_service_changes(
        client: httpx.AsyncClient, seed_snapshot_and_marker: dict[str, Any]) -> None:
    now = (await client.get("/_emulator/snapshot")).json()
    for clock in ({"frozen": True, "now": "bald"}, {"frozen": True, "now": "2031-05-04T10:00:00"},
                  {"frozen": False, "offset_seconds": "viel"}, ["2031"]):
        detail = await refused(client, 422, json_body={**seed_snapshot_and_marker, "clock": clock})
        assert "clock" in detail, detail
        part = copy.deepcopy(seed_snapshot_and_marker)
        part["services"]["postfach"]["clock"] = clock
        detail = await refused(client, 422, json_body=part)
        assert "postfach" in detail and "clock" in detail, detail
    await assert_untouched(client, now)
    assert (await client.get("/_emulator/clock")).json()["frozen"] is False
