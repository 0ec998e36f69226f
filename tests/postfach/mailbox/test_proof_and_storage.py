"""The proof trail and the storage: the sending authority exports the hash chain and checks it with its own code
(hashlib + json, not the service's); a modified database row breaks the chain; message text and attachments are
not in the database in plaintext; the retrieval confirmation reaches a real HTTP receiver and an e-mail address."""

import asyncio
import datetime as dt
import hashlib
import json

import httpx
import pytest
from aiohttp import web
from sqlalchemy import text, update

from gateway.app import Gateway
from services.postfach.mailbox import trail
from services.postfach.mailbox.models import Message, MessageEvent
from tests.browser import free_port
from tests.postfach.mailbox.tools import ERIKA, bearer, citizen_token, deliver, delivered, service_token

pytestmark = pytest.mark.asyncio(loop_scope="module")
SECRET_TEXT = "Ihr Einkommen 2025 beträgt 48.213,17 Euro"
SECRET_FILE = b"%PDF-1.7 Steuerbescheid vertraulich 0123456789"


def postfach(suite: Gateway):  # type: ignore[no-untyped-def]
    return suite.upstreams["postfach"].app.state.runtime  # type: ignore[attr-defined]


def independent_check(proof: dict) -> bool:  # type: ignore[type-arg]
    """The chain as an authority's auditor would recompute it from the documented algorithm."""
    previous = "0" * 64
    for seq, event in enumerate(proof["events"], start=1):
        body = {"messageId": proof["messageId"], "seq": seq, "kind": event["kind"], "at": event["at"],
                "data": event["data"]}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        digest = hashlib.sha256(previous.encode() + canonical).hexdigest()
        if event["prevHash"] != previous or event["hash"] != digest:
            return False
        previous = digest
    return previous == proof["head"]


async def test_sender_exports_a_verifiable_proof_and_a_modified_row_breaks_it(suite: Gateway,
                                                                              client: httpx.AsyncClient) -> None:
    sent = await delivered(suite)
    erika = bearer(await citizen_token(client))
    await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}", headers=erika)
    bescheid = bearer(await service_token(client, "bescheid"))
    proof = (await client.get(f"/postfach/api/v6/messages/{sent['messageId']}/proof", headers=bescheid)).json()
    assert [e["kind"] for e in proof["events"]] == ["provided", "notified", "retrieved"]
    assert independent_check(proof) and trail.verify(proof) == (True, None)
    other = await client.get(f"/postfach/api/v6/messages/{sent['messageId']}/proof",
                             headers=bearer(await service_token(client, "rechnungseingang")))
    assert other.status_code == 404

    # Someone with database access backdates the retrieval.
    async with postfach(suite).db.engine.begin() as connection:
        await connection.execute(update(MessageEvent).where(MessageEvent.message_id == sent["messageId"],
                                                            MessageEvent.kind == "retrieved")
                                 .values(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    tampered = (await client.get(f"/postfach/api/v6/messages/{sent['messageId']}/proof", headers=bescheid)).json()
    assert not independent_check(tampered)
    assert trail.verify(tampered) == (False, 3)
    exported = (await client.get(f"/_emulator/postfach/messages/{sent['messageId']}/proof")).json()
    assert exported["verification"] == {"valid": False, "brokenAtSeq": 3}

    # The earlier export still verifies: it is the authority's evidence of the untampered state.
    assert independent_check(proof)


async def test_content_and_attachments_are_encrypted_at_rest(suite: Gateway, client: httpx.AsyncClient) -> None:
    sent = await delivered(suite, content=SECRET_TEXT, title="Einkommensteuerbescheid 2025",
                           attachments=[("bescheid.pdf", SECRET_FILE, "application/pdf")])
    async with postfach(suite).db.engine.connect() as connection:
        envelope = (await connection.execute(text("SELECT sealed_envelope FROM mailbox_messages WHERE id = :id"),
                                             {"id": sent["messageId"]})).scalar_one()
        data = (await connection.execute(text("SELECT sealed_data FROM mailbox_attachments WHERE message_id = :id"),
                                         {"id": sent["messageId"]})).scalar_one()
    envelope, data = bytes(envelope), bytes(data)
    for plaintext in (SECRET_TEXT.encode(), b"Einkommensteuerbescheid", b"48.213,17"):
        assert plaintext not in envelope
    assert SECRET_FILE not in data and b"vertraulich" not in data
    # ... and yet the owner reads them.
    erika = bearer(await citizen_token(client))
    message = (await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}",
                                headers=erika)).json()
    assert message["content"] == SECRET_TEXT
    attachment = message["attachments"][0]["attachmentId"]
    download = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}/attachments/"
                                f"{attachment}", headers=erika)
    assert download.content == SECRET_FILE


async def wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_retrieval_confirmation_is_posted_once_and_recorded(suite: Gateway, client: httpx.AsyncClient) -> None:
    received: list[dict] = []  # type: ignore[type-arg]

    async def receive(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/zbp/abrufbestaetigung", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        address = f"http://127.0.0.1:{port}/zbp/abrufbestaetigung"
        sent = await delivered(suite, retrievalConfirmationAddress=address, reference="AZ-77",
                               applicationId="7c9e6679-7425-40de-944b-e07fc1f90ae7")
        mailed = await delivered(suite, retrievalConfirmationAddress="poststelle@koblenz.example")
        erika = bearer(await citizen_token(client))
        for message in (sent, mailed):
            for _ in range(2):  # the second read is no second retrieval
                await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{message['messageId']}",
                                 headers=erika)

        async def confirmed() -> bool:
            kinds = []
            for message in (sent, mailed):
                proof = (await client.get(f"/_emulator/postfach/messages/{message['messageId']}/proof")).json()
                kinds.append([e["kind"] for e in proof["events"]])
            return all(k[-1] == "confirmation_sent" for k in kinds)

        await wait_for(confirmed)
        assert len(received) == 1
        assert received[0]["messageId"] == sent["messageId"] and received[0]["reference"] == "AZ-77"
        assert received[0]["applicationId"] == "7c9e6679-7425-40de-944b-e07fc1f90ae7"
        assert received[0]["retrievedAt"]
        mails = (await client.get("/_emulator/postfach/mails", params={"to": "poststelle@koblenz.example"})).json()
        assert [m["kind"] for m in mails] == ["retrieval-confirmation"]
    finally:
        await runner.cleanup()


async def test_delivery_fault_leaves_nothing_behind(suite: Gateway, client: httpx.AsyncClient) -> None:
    fault = await client.post("/_emulator/faults", json={"service": "postfach", "operation": "mailbox.deliver",
                                                         "status": 503, "times": 1})
    assert fault.status_code == 201
    failed = await deliver(suite)
    assert failed.status_code == 503
    listing = (await client.get(f"/_emulator/postfach/mailboxes/{ERIKA}/messages")).json()
    assert listing["totalCount"] == 0
    assert (await deliver(suite)).status_code == 201


async def test_concurrent_first_reads_record_one_retrieval(suite: Gateway, client: httpx.AsyncClient) -> None:
    sent = await delivered(suite, retrievalConfirmationAddress="poststelle@koblenz.example")
    erika = bearer(await citizen_token(client))
    url = f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}"
    answers = await asyncio.gather(*(client.get(url, headers=erika) for _ in range(8)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["retrievedAt"] for a in answers}) == 1
    proof = (await client.get(f"/_emulator/postfach/messages/{sent['messageId']}/proof")).json()
    assert [e["kind"] for e in proof["events"]].count("retrieved") == 1 and proof["verification"]["valid"]
    mails = (await client.get("/_emulator/postfach/mails", params={"to": "poststelle@koblenz.example"})).json()
    assert len(mails) == 1


async def test_concurrent_first_deliveries_to_a_new_mailbox(suite: Gateway, client: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(deliver(suite, title=f"Nachricht {i}") for i in range(6)))
    assert [a.status_code for a in answers] == [201] * 6
    mailboxes = [m for m in (await client.get("/_emulator/postfach/mailboxes")).json() if m["mailboxUuid"] == ERIKA]
    assert len(mailboxes) == 1 and mailboxes[0]["messageCount"] == 6


async def test_the_at_rest_key_survives_a_reset(suite: Gateway, client: httpx.AsyncClient) -> None:
    async def key() -> bytes:
        async with postfach(suite).db.engine.connect() as connection:
            return bytes((await connection.execute(text("SELECT key FROM mailbox_keys"))).scalar_one())

    before = await key()
    assert len(before) == 32
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert await key() == before


async def test_a_proof_read_while_another_transaction_appends_stays_valid(suite: Gateway) -> None:
    """The proof ends at the head the message row held when it was read: an event another transaction commits
    after that (the outbox confirming a retrieval) is not exported beyond it (PostgreSQL's READ COMMITTED shows the
    events query rows committed after the message was read; here the message is read, then the event committed)."""
    sent = await delivered(suite)
    runtime = suite.upstreams["postfach"].app.state.runtime  # type: ignore[attr-defined]
    async with runtime.db.sessionmaker() as reader:
        message = await reader.get(Message, sent["messageId"])
        assert message is not None
        reader.expunge(message)  # the row as this reader saw it
    async with runtime.db.sessionmaker() as writer:
        same = await writer.get(Message, sent["messageId"])
        assert same is not None
        await trail.append(writer, same, trail.REPLIED, runtime.clock.now(), {"by": "test"})
        await writer.commit()
    async with runtime.db.sessionmaker() as reader:
        proof = trail.export(message, await trail.events_of(reader, message))
    assert trail.verify(proof) == (True, None)
    assert [e["kind"] for e in proof["events"]][-1] != trail.REPLIED
