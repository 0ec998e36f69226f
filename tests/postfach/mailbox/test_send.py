"""Authorities deliver message_v6 envelopes (contract C1): through kit.zbp as Bescheid does, and with envelopes
built independently (cryptography + joserfc) through the gateway; refusals are problems with C1's types."""

import datetime as dt
import hashlib
import json

import httpx
import pytest

from gateway.app import Gateway
from tests.postfach.mailbox.tools import (
    ERIKA,
    KOBLENZ,
    IndependentAuthor,
    bearer,
    citizen_token,
    deliver,
    delivered,
    fields,
    multipart,
    postfach_now,
    service_token,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
AUTHOR = IndependentAuthor()


async def test_bescheid_delivers_with_an_attachment_and_reads_the_delivery_state(suite: Gateway,
                                                                                client: httpx.AsyncClient) -> None:
    pdf = b"%PDF-1.7\n" + b"x" * 5000
    sent = await delivered(suite, attachments=[("bescheid.pdf", pdf, "application/pdf")])
    assert sent["mailboxUuid"] == ERIKA
    assert sent["bekanntgabe"]["rule"] == "ozg9" and sent["bekanntgabe"]["status"] == "pending"
    provided = dt.datetime.fromisoformat(sent["providedAt"])
    expected = (provided.astimezone(dt.timezone(dt.timedelta(hours=1))).date() + dt.timedelta(days=4))
    assert abs((dt.date.fromisoformat(sent["bekanntgabe"]["date"]) - expected).days) <= 1

    token = await service_token(client, "bescheid")
    state = await client.get(f"/postfach/api/v6/messages/{sent['messageId']}", headers=bearer(token))
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["title"] == "Ihr Bescheid" and body["notifiedAt"] and body["retrievedAt"] is None

    # Another authority's client cannot read it: as if it did not exist.
    other = await client.get(f"/postfach/api/v6/messages/{sent['messageId']}",
                             headers=bearer(await service_token(client, "rechnungseingang")))
    assert other.status_code == 404


async def test_independently_built_envelope_is_accepted_through_the_gateway(suite: Gateway,
                                                                           client: httpx.AsyncClient) -> None:
    author = AUTHOR
    data = b"Anlage 1"
    content = json.dumps({**fields(KOBLENZ, title="Eingangsbestätigung"), "attachments": [
        {"filename": "anlage.txt", "sha512sum": hashlib.sha512(data).hexdigest(), "contentLength": len(data)}]})
    envelope = author.envelope(content, now=postfach_now(suite))
    answer = await client.post("/postfach/api/v6/messages", headers=bearer(await service_token(client)),
                               files=multipart(envelope, [("anlage.txt", data, "text/plain")], rule="vwvfg41_2a"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["mailboxUuid"] == KOBLENZ
    assert answer.json()["bekanntgabe"] == {"rule": "vwvfg41_2a", "status": "pending", "date": None,
                                            "retrievalDeadline": answer.json()["bekanntgabe"]["retrievalDeadline"]}
    assert answer.headers["location"].endswith(f"/api/v6/messages/{answer.json()['messageId']}")


@pytest.mark.parametrize("tamper", ["content", "token-expired", "token-too-long", "signer", "role", "certificate"])
async def test_bad_signatures_and_author_tokens_are_refused(suite: Gateway, client: httpx.AsyncClient,
                                                            tamper: str) -> None:
    author = AUTHOR
    now = postfach_now(suite)
    content = json.dumps(fields())
    envelope = {
        "content": lambda: author.envelope(content, now=now, sign_content=content.replace("Bescheid", "Beschied")),
        "token-expired": lambda: author.envelope(content, now=now - dt.timedelta(minutes=31)),
        "token-too-long": lambda: author.envelope(content, now=now, lifetime=7200),
        "signer": lambda: author.envelope(content, now=now, signer="Jemand anderes"),
        "role": lambda: author.envelope(content, now=now, roles=["CITIZEN"]),
        "certificate": lambda: {**author.envelope(content, now=now),
                                "authorCertificate": IndependentAuthor().envelope(content, now=now)[
                                    "authorCertificate"]},
    }[tamper]()
    answer = await client.post("/postfach/api/v6/messages", headers=bearer(await service_token(client)),
                               files=multipart(envelope))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("signature-invalid")
    listing = await client.get(f"/_emulator/postfach/mailboxes/{ERIKA}/messages")
    assert listing.json()["totalCount"] == 0


async def test_unknown_mailbox_is_404_and_limits_are_422(suite: Gateway) -> None:
    unknown = await deliver(suite, "0b7e7c1e-1111-4222-8333-444455556666")
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("mailbox-not-found")
    for bad, pointer in ((dict(title="x" * 1025), "/message/content/title"),
                         (dict(sender="s" * 256), "/message/content/sender"),
                         (dict(stork_qaa_level=5), "/message/content/stork_qaa_level"),
                         (dict(reference="r" * 256), "/message/content/reference"),
                         (dict(replyAddress="not an address"), "/message/content/replyAddress"),
                         (dict(content=""), "/message/content/content")):
        answer = await deliver(suite, **bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert pointer in [e["pointer"] for e in answer.json()["errors"]], answer.json()


async def test_attachment_mismatches_are_422(suite: Gateway, client: httpx.AsyncClient) -> None:
    author = AUTHOR
    data = b"echt"
    listed = {"filename": "a.txt", "sha512sum": hashlib.sha512(data).hexdigest(), "contentLength": len(data)}
    token = await service_token(client)
    cases = [
        ([listed], [("a.txt", b"gefaelscht", "text/plain")]),  # other bytes
        ([listed], []),  # missing file
        ([], [("a.txt", data, "text/plain")]),  # unlisted file
        ([listed], [("b.txt", data, "text/plain")]),  # other name
    ]
    for listing, files in cases:
        envelope = author.envelope(json.dumps({**fields(), "attachments": listing}), now=postfach_now(suite))
        answer = await client.post("/postfach/api/v6/messages", headers=bearer(token),
                                   files=multipart(envelope, files))
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"].endswith("attachment-mismatch")


async def test_size_caps_answer_413(suite: Gateway) -> None:
    settings = suite.upstreams["postfach"].app.state.runtime.settings  # type: ignore[attr-defined]
    big = b"0" * (settings.max_attachment_bytes + 1)
    answer = await deliver(suite, attachments=[("gross.bin", big, "application/octet-stream")])
    assert answer.status_code == 413, answer.text


async def test_a_citizen_token_cannot_send(suite: Gateway, client: httpx.AsyncClient) -> None:
    author = AUTHOR
    envelope = author.envelope(json.dumps(fields()), now=postfach_now(suite))
    answer = await client.post("/postfach/api/v6/messages", headers=bearer(await citizen_token(client)),
                               files=multipart(envelope))
    assert answer.status_code == 403
    unauthenticated = await client.post("/postfach/api/v6/messages", files=multipart(envelope))
    assert unauthenticated.status_code == 401
