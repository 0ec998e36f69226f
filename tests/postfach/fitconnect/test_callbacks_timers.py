"""Callbacks signed with HMAC-SHA512 and retried from the outbox, the 3-day notification of the technical
contact and the 14-day auto-reject by the kit clock."""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.postfach.fitconnect.receiver import CallbackReceiver
from tests.postfach.fitconnect.test_roundtrip import subscriber_for, verify_set
from tests.postfach.fitconnect.tools import SUB, Sender, bearer, seed, token

# On the folder's shared suite, whose connections and background tasks live in the package's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="package")

SECRET = "ein-langes-callback-geheimnis-0123456789"


@pytest_asyncio.fixture(loop_scope="package")
async def receiver() -> AsyncIterator[CallbackReceiver]:
    started = await CallbackReceiver(SECRET).start()
    yield started
    await started.stop()


async def wait_for(condition, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_callback_is_signed_retried_and_the_secret_stays_hidden(client: httpx.AsyncClient,
                                                                      receiver: CallbackReceiver) -> None:
    koblenz = next(d["destinationId"] for d in (await seed(client))["destinations"] if d["ars"] == "071110000000")
    subscriber = await token(client, "fitconnect-subscriber-koblenz")
    patched = await client.patch(f"{SUB}/v2/destinations/{koblenz}", headers=bearer(subscriber),
                                 json={"callback": {"url": receiver.url, "secret": SECRET}})
    assert patched.status_code == 200
    assert patched.json()["callback"] == {"url": receiver.url, "secretSet": True}
    assert SECRET not in patched.text
    seen = (await client.get(f"{SUB}/v2/destinations/{koblenz}", headers=bearer(subscriber))).json()
    assert seen["callback"] == {"url": receiver.url, "secretSet": True}
    assert "callback" not in (await client.get(f"{SUB}/v2/destinations/{koblenz}")).json()
    insecure = await client.patch(f"{SUB}/v2/destinations/{koblenz}", headers=bearer(subscriber),
                                  json={"callback": {"url": "http://example.org/cb", "secret": SECRET}})
    assert insecure.status_code == 422
    sender_token = await token(client, "fitconnect-sender")
    assert (await client.patch(f"{SUB}/v2/destinations/{koblenz}", headers=bearer(sender_token),
                               json={"status": "inactive"})).status_code == 403

    receiver.fail_next = 1  # the Fachverfahren is briefly down: the outbox retries
    created = await Sender(client, sender_token).send(koblenz, {"a": 1}, [])
    try:
        await wait_for(lambda: receiver.received)
    except AssertionError:
        raise AssertionError((await client.get("/_emulator/postfach/fitconnect/callbacks")).text) from None
    assert receiver.received == [{
        "type": "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions",
        "submissions": [{"destinationId": koblenz, "submissionId": created["submissionId"],
                         "caseId": created["caseId"]}]}]
    sent = (await client.get("/_emulator/postfach/fitconnect/callbacks")).json()
    assert sent[0]["status"] == "delivered" and sent[0]["attempts"] == 2
    assert SECRET not in json.dumps(sent)

    # The same request again is a replay; one signed 6 minutes ago is stale.
    headers, body = receiver.raw[-1]
    async with httpx.AsyncClient() as outside:
        replay = await outside.post(receiver.url, content=body, headers={
            "callback-timestamp": headers["callback-timestamp"],
            "callback-authentication": headers["callback-authentication"]})
        assert replay.status_code == 409
        old = str(int(time.time()) - 360)
        stale = await outside.post(receiver.url, content=body, headers={
            "callback-timestamp": old,
            "callback-authentication": hmac.new(SECRET.encode(), old.encode() + b"." + body,
                                                hashlib.sha512).hexdigest()})
        assert stale.status_code == 401
    assert receiver.refused == ["replay", "stale"]
    log = (await client.get(f"{SUB}/v2/cases/{created['caseId']}/events",
                            headers=bearer(sender_token))).json()["eventLog"]
    jwks = (await client.get(f"{SUB}/.well-known/jwks.json")).json()
    assert [next(iter(verify_set(e, jwks)["events"])).rsplit("/", 1)[1] for e in log] == [
        "create-submission", "submit-submission", "notify-submission"]


async def test_contact_notified_after_3_days_and_auto_reject_after_14(client: httpx.AsyncClient) -> None:
    koblenz = next(d["destinationId"] for d in (await seed(client))["destinations"] if d["ars"] == "071110000000")
    await client.post("/_emulator/clock", json={"freeze": "2026-03-02T09:00:00Z"})
    sender = Sender(client, await token(client, "fitconnect-sender"))
    waiting = await sender.send(koblenz, {"a": 1}, [b"%PDF"])
    picked_up = await sender.send(koblenz, {"b": 2}, [])
    subscriber = await subscriber_for(client, koblenz, "fitconnect-subscriber-koblenz")
    await subscriber.receive(picked_up["submissionId"])

    await client.post("/_emulator/clock", json={"advance": "P2DT23H"})
    subscriber.access_token = await token(client, "fitconnect-subscriber-koblenz")
    await subscriber.pending()
    mails = [m for m in (await client.get("/_emulator/postfach/outbox")).json() if m["channel"] == "mail"
             and m["payload"].get("submissionId")]
    assert mails == []
    await client.post("/_emulator/clock", json={"advance": "PT2H"})
    subscriber.access_token = await token(client, "fitconnect-subscriber-koblenz")
    await subscriber.pending()  # the sweep runs on read
    mails = [m for m in (await client.get("/_emulator/postfach/outbox")).json() if m["channel"] == "mail"
             and m["payload"].get("submissionId")]
    assert [(m["target"], m["payload"]["submissionId"]) for m in mails] == [
        ("fitconnect-technik@koblenz.example", waiting["submissionId"])]

    await client.post("/_emulator/clock", json={"advance": "P11D"})
    subscriber.access_token = await token(client, "fitconnect-subscriber-koblenz")
    ids = {s["submissionId"] for s in await subscriber.pending()}
    assert waiting["submissionId"] not in ids and picked_up["submissionId"] in ids
    sender.access_token = await token(client, "fitconnect-sender")
    log = (await client.get(f"{SUB}/v2/cases/{waiting['caseId']}/events",
                            headers=bearer(sender.access_token))).json()["eventLog"]
    jwks = (await client.get(f"{SUB}/.well-known/jwks.json")).json()
    claims = [verify_set(e, jwks) for e in log]
    reject = claims[-2]["events"]["https://schema.fitko.de/fit-connect/events/reject-submission"]
    assert claims[-2]["iss"].endswith("/fitconnect/submission-api")
    assert "14 Tagen" in reject["problems"][0]["detail"]
    assert list(claims[-1]["events"]) == ["https://schema.fitko.de/fit-connect/events/delete-submission"]
    # Exactly once, however often the sweep runs.
    await client.post("/_emulator/postfach/fitconnect/sweep")
    assert len((await client.get(f"{SUB}/v2/cases/{waiting['caseId']}/events",
                                 headers=bearer(sender.access_token))).json()["eventLog"]) == len(log)
