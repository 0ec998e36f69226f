"""status_v6 updates (kit.zbp.send_status, and a plain JSON body) shown per applicationId; the emulator controls:
the seed, creating a Behördenpostfach with its readers, mailboxes for every Nutzerkonto identity."""

import json
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gateway.app import Gateway
from kit.zbp import behoerdenpostfach_uuid, send_status
from services.postfach.models import Base
from tests.postfach.mailbox.tools import (
    ERIKA,
    MUSTERBAU,
    IndependentAuthor,
    author,
    bearer,
    citizen_token,
    credentials,
    delivered,
    postfach_now,
    service_token,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
APPLICATION = "6e0d6f0a-2b59-4f0e-8f1d-0b8e1c5a9d33"


def status(**overrides: object) -> dict[str, object]:
    return {"applicationId": APPLICATION, "status": "PROCESSING", "publicServiceName": {"de": "Hundesteuer"},
            "senderName": "Stadt Koblenz", "createdDate": "2026-03-02T09:00:00+01:00",
            "statusDetails": {"de": "In Bearbeitung"}, **overrides}


async def test_status_updates_are_shown_per_application(suite: Gateway, client: httpx.AsyncClient) -> None:
    first = await send_status(credentials(suite), author(), status(status="RECEIVED"), now=postfach_now(suite))
    assert first.status_code == 201, first.text
    envelope = IndependentAuthor().envelope(json.dumps(status(status="COMPLETED")),
                                            now=postfach_now(suite))
    second = await client.post("/postfach/api/v6/status", json=envelope,
                               headers=bearer(await service_token(client, "bescheid")))
    assert second.status_code == 201, second.text

    sender = await client.get(f"/postfach/api/v6/status/{APPLICATION}",
                              headers=bearer(await service_token(client, "bescheid")))
    assert [u["status"] for u in sender.json()["statusUpdates"]] == ["RECEIVED", "COMPLETED"]
    other = await client.get(f"/postfach/api/v6/status/{APPLICATION}",
                             headers=bearer(await service_token(client, "rechnungseingang")))
    assert other.json()["statusUpdates"] == []

    erika = bearer(await citizen_token(client))
    assert (await client.get(f"/postfach/api/v6/status/{APPLICATION}", headers=erika)).json()["statusUpdates"] == []
    await delivered(suite, applicationId=APPLICATION)
    shown = (await client.get(f"/postfach/api/v6/status/{APPLICATION}", headers=erika)).json()["statusUpdates"]
    assert [u["status"] for u in shown] == ["RECEIVED", "COMPLETED"]
    assert shown[0]["publicServiceName"] == {"de": "Hundesteuer"}


@pytest.mark.parametrize(("change", "pointer"), [
    ({"status": "DONE"}, "/message/content/status"),
    ({"statusDetails": {"de": "x" * 51}}, "/message/content/statusDetails"),
    ({"senderName": "s" * 101}, "/message/content/senderName"),
    ({"reference": "r" * 51}, "/message/content/reference"),
    ({"publicServiceName": {"de": "p" * 101}}, "/message/content/publicServiceName"),
])
async def test_status_field_limits(suite: Gateway, change: dict[str, object], pointer: str) -> None:
    answer = await send_status(credentials(suite), author(), status(**change), now=postfach_now(suite))
    assert answer.status_code == 422, answer.text
    assert any(e["pointer"].startswith(pointer) for e in answer.json()["errors"]), answer.json()


async def test_seed_lists_the_behoerdenpostfaecher_of_contract_c1(client: httpx.AsyncClient) -> None:
    seed = (await client.get("/_emulator/seed")).json()["postfach"]["mailbox"]
    by_ars = {b["ars"]: b for b in seed["behoerdenpostfaecher"]}
    assert set(by_ars) == {"071110000000", "073150000000", "072110000000", "071370000000"}
    assert by_ars["071110000000"]["mailboxUuid"] == behoerdenpostfach_uuid("071110000000")
    assert by_ars["071110000000"]["readers"] == ["demo-fachverfahren"]
    assert seed["bekanntgabe"]["ozg9_days"] == 4


async def test_controls_create_a_behoerdenpostfach_and_sync_people(suite: Gateway, client: httpx.AsyncClient) -> None:
    created = await client.post("/_emulator/postfach/mailboxes", json={
        "ars": "073350000000", "name": "Stadt Kaiserslautern", "readers": ["demo-fachverfahren"]})
    assert created.status_code == 201, created.text
    uuid = behoerdenpostfach_uuid("073350000000")
    assert created.json()["mailboxUuid"] == uuid
    sent = await delivered(suite, uuid, title="An Kaiserslautern")
    listing = await client.get(f"/postfach/api/v6/mailboxes/{uuid}/messages",
                               headers=bearer(await service_token(client, "demo-fachverfahren")))
    assert [m["messageId"] for m in listing.json()["messages"]] == [sent["messageId"]]

    synced = await client.post("/_emulator/postfach/mailboxes/sync")
    assert synced.status_code == 200 and synced.json()["created"] == 5
    mailboxes = {m["mailboxUuid"]: m for m in (await client.get("/_emulator/postfach/mailboxes")).json()}
    assert mailboxes[ERIKA]["kind"] == "citizen" and mailboxes[ERIKA]["identityId"] == "erika-mustermann"
    assert mailboxes[MUSTERBAU]["kind"] == "company"

    # A test person created in the Nutzerkonto has a mailbox at once.
    person = await client.post("/_emulator/nutzerkonto/identities", json={
        "id": "hans-beispiel", "display_name": "Hans Beispiel", "username": "hans", "methods": ["eID"],
        "attributes": {"givenName": "Hans", "surname": "Beispiel", "mail": "hans@example.org"}})
    assert person.status_code == 201, person.text
    handle = person.json()["attributes"]["legacyPostkorbHandle"]
    await delivered(suite, handle)
    mails = (await client.get("/_emulator/postfach/mails", params={"to": "hans@example.org"})).json()
    assert len(mails) == 1


async def test_the_mailbox_migrations_match_the_models(suite: Gateway) -> None:
    db = suite.upstreams["postfach"].app.state.runtime.db  # type: ignore[attr-defined]

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "mailbox" in repr(d)]

    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
        assert {"mailboxes", "mailbox_messages", "mailbox_events", "mailbox_keys"} <= tables
        assert await connection.run_sync(differences) == []
