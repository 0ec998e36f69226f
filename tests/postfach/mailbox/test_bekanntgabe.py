"""Bekanntgabe by the kit clock, moved through the gateway's ``/_emulator/clock`` as a user moves it: § 9 OZG
(provision + 4 days, German calendar days), § 41 Abs. 2a VwVfG (day after retrieval; not delivered when not retrieved
within 10 days of the notification), the notification e-mail, and the trail events that record each step."""

import asyncio
import datetime as dt

import httpx
import pytest
from sqlalchemy import text

from gateway.app import Gateway
from services.postfach.mailbox import bekanntgabe
from services.postfach.mailbox.models import Message
from tests.postfach.mailbox.tools import ERIKA, bearer, citizen_token, delivered, service_token

pytestmark = pytest.mark.asyncio(loop_scope="module")
# Monday 2 March 2026, 09:00 in Koblenz (CET).
START = "2026-03-02T09:00:00+01:00"


async def clock(client: httpx.AsyncClient, **command: object) -> None:
    answer = await client.post("/_emulator/clock", json=command)
    assert answer.status_code == 200, answer.text


async def sender_view(client: httpx.AsyncClient, message_id: str) -> dict[str, object]:
    answer = await client.get(f"/postfach/api/v6/messages/{message_id}",
                              headers=bearer(await service_token(client, "bescheid")))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def proof_kinds(client: httpx.AsyncClient, message_id: str) -> list[tuple[str, str]]:
    proof = (await client.get(f"/_emulator/postfach/messages/{message_id}/proof")).json()
    assert proof["verification"] == {"valid": True, "brokenAtSeq": None}
    return [(e["kind"], e["at"]) for e in proof["events"]]


async def test_ozg9_counts_four_german_calendar_days_from_provision(suite: Gateway, client: httpx.AsyncClient) -> None:
    await clock(client, freeze=START)
    sent = await delivered(suite)
    assert sent["bekanntgabe"] == {"rule": "ozg9", "status": "pending", "date": "2026-03-06"}

    await clock(client, advance="P3DT14H")  # Thursday 5 March, 23:00 CET: still the day before
    assert (await sender_view(client, sent["messageId"]))["bekanntgabe"]["status"] == "pending"
    await clock(client, advance="PT1H")  # Friday 6 March, 00:00 CET
    view = await sender_view(client, sent["messageId"])
    assert view["bekanntgabe"] == {"rule": "ozg9", "status": "bekanntgegeben", "date": "2026-03-06"}
    assert view["retrievedAt"] is None  # a fiction: it holds without retrieval

    kinds = await proof_kinds(client, sent["messageId"])
    assert [k for k, _ in kinds] == ["provided", "notified", "bekanntgabe_reached"]
    assert kinds[2][1] == "2026-03-05T23:00:00Z"  # the start of the German day, not the moment someone looked

    mails = (await client.get("/_emulator/postfach/mails", params={"to": "erika.mustermann@example.org"})).json()
    assert len(mails) == 1 and mails[0]["kind"] == "notification" and mails[0]["messageId"] == sent["messageId"]
    assert "06.03.2026" in mails[0]["body"] and "Ihr Bescheid" in mails[0]["body"]
    outbox = (await client.get("/_emulator/postfach/outbox")).json()
    assert any(m["channel"] == "mail" and m["target"] == "erika.mustermann@example.org" for m in outbox)


async def test_ozg9_across_the_change_to_summer_time(suite: Gateway, client: httpx.AsyncClient) -> None:
    await clock(client, freeze="2026-03-27T23:30:00+01:00")  # Friday night; clocks go forward on 29 March
    sent = await delivered(suite)
    assert sent["bekanntgabe"]["date"] == "2026-03-31"
    await clock(client, advance="P3DT22H")  # 31 March 00:30 CEST
    assert (await sender_view(client, sent["messageId"]))["bekanntgabe"]["status"] == "bekanntgegeben"


async def test_vwvfg_counts_from_the_day_after_retrieval(suite: Gateway, client: httpx.AsyncClient) -> None:
    await clock(client, freeze=START)
    sent = await delivered(suite, rule="vwvfg41_2a")
    assert sent["bekanntgabe"]["date"] is None
    assert sent["bekanntgabe"]["retrievalDeadline"] == "2026-03-12T08:00:00Z"

    await clock(client, advance="P2DT6H")  # Wednesday 4 March, 15:00 CET: Erika opens it
    erika = bearer(await citizen_token(client))
    read = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}", headers=erika)
    assert read.status_code == 200
    assert read.json()["bekanntgabe"] == {"rule": "vwvfg41_2a", "status": "pending", "date": "2026-03-05",
                                          "retrievalDeadline": "2026-03-12T08:00:00Z"}
    await clock(client, advance="PT9H")  # Thursday 5 March, 00:00 CET
    view = await sender_view(client, sent["messageId"])
    assert view["bekanntgabe"]["status"] == "bekanntgegeben" and view["retrievedAt"] == "2026-03-04T14:00:00Z"
    assert [k for k, _ in await proof_kinds(client, sent["messageId"])] == [
        "provided", "notified", "retrieved", "bekanntgabe_reached"]


async def test_vwvfg_unretrieved_after_ten_days_is_not_delivered(suite: Gateway, client: httpx.AsyncClient) -> None:
    await clock(client, freeze=START)
    sent = await delivered(suite, rule="vwvfg41_2a")
    await clock(client, advance="P9DT23H59M")
    assert (await sender_view(client, sent["messageId"]))["bekanntgabe"]["status"] == "pending"
    await clock(client, advance="PT1M")
    view = await sender_view(client, sent["messageId"])
    assert view["bekanntgabe"] == {"rule": "vwvfg41_2a", "status": "not_delivered", "date": None,
                                   "retrievalDeadline": "2026-03-12T08:00:00Z"}
    erika = bearer(await citizen_token(client))
    late = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}", headers=erika)
    assert late.status_code == 410 and late.json()["type"].endswith("provision-ended")
    assert [k for k, _ in await proof_kinds(client, sent["messageId"])] == [
        "provided", "notified", "bekanntgabe_expired"]


async def test_a_plain_message_has_no_bekanntgabe(suite: Gateway, client: httpx.AsyncClient) -> None:
    sent = await delivered(suite, rule="none")
    assert sent["bekanntgabe"] == {"rule": "none", "status": "pending", "date": None}


def test_the_pre_2025_three_day_rule_is_a_setting() -> None:
    provided = dt.datetime(2024, 11, 4, 10, 0, tzinfo=dt.UTC)
    message = Message(bekanntgabe_rule="ozg9", bekanntgabe_days=3, provided_at=provided, notified_at=provided,
                      retrieved_at=None)
    result = bekanntgabe.compute(message, provided, window_days=10)
    assert result.date == dt.date(2024, 11, 7) and result.status == "pending"
    assert bekanntgabe.compute(message, dt.datetime(2024, 11, 6, 23, 0, tzinfo=dt.UTC),
                               window_days=10).status == "bekanntgegeben"


async def test_the_sweeper_records_bekanntgabe_without_anyone_reading(suite: Gateway,
                                                                      client: httpx.AsyncClient) -> None:
    await clock(client, freeze=START)
    ozg = await delivered(suite)
    unread = await delivered(suite, rule="vwvfg41_2a")
    await clock(client, advance="P11D")
    runtime = suite.upstreams["postfach"].app.state.runtime  # type: ignore[attr-defined]

    async def kinds(message_id: str) -> list[str]:
        # Straight from the table: the proof endpoint would settle the message itself.
        async with runtime.db.engine.connect() as connection:
            rows = await connection.execute(text("SELECT kind FROM mailbox_events WHERE message_id = :id ORDER BY seq"),
                                            {"id": message_id})
            return [r[0] for r in rows]

    deadline = asyncio.get_running_loop().time() + 10
    while (await kinds(ozg["messageId"]))[-1:] != ["bekanntgabe_reached"] or (
            await kinds(unread["messageId"]))[-1:] != ["bekanntgabe_expired"]:
        assert asyncio.get_running_loop().time() < deadline, (await kinds(ozg["messageId"]),
                                                              await kinds(unread["messageId"]))
        await asyncio.sleep(0.2)
