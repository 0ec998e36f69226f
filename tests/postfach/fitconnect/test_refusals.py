"""What the delivery service refuses, each with FIT-Connect's problem type and without changing anything:
wrong client authentication, a subscriber reading another destination's submission, bad JWEs and ``cty``,
duplicate or missing attachments, forged, replayed, stale or mismatched SETs."""

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from jwcrypto import jwk

from tests.postfach.fitconnect.test_roundtrip import subscriber_for
from tests.postfach.fitconnect.tools import (
    SUB,
    TOKEN,
    Sender,
    bearer,
    encrypt,
    metadata_for,
    seed,
    token,
)

# On the folder's shared suite, whose connections and background tasks live in the package's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="package")

PROBLEMS = "https://schema.fitko.de/fit-connect/submission-api/problems/"


def problem(answer: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["type"] == PROBLEMS + slug, body
    return body


async def destinations(client: httpx.AsyncClient) -> dict[str, str]:
    return {d["ars"]: d["destinationId"] for d in (await seed(client))["destinations"]}


async def test_token_endpoint_takes_client_secret_post_only(client: httpx.AsyncClient) -> None:
    basic = await client.post(TOKEN, data={"grant_type": "client_credentials"},
                              auth=("fitconnect-sender", "fitconnect-sender-secret"))
    assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"
    wrong = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "fitconnect-sender",
                                           "client_secret": "falsch"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    scope = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "fitconnect-sender",
                                           "client_secret": "fitconnect-sender-secret",
                                           "scope": "https://schema.fitko.de/fit-connect/oauth/scopes/x"})
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    good = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": "fitconnect-sender",
                                          "client_secret": "fitconnect-sender-secret"})
    body = good.json()
    assert body["expires_in"] == 1800 and body["token_type"] == "Bearer"
    assert body["scope"] == "https://schema.fitko.de/fit-connect/oauth/scopes/send-submissions"


async def test_tokens_expire_after_1800_seconds(client: httpx.AsyncClient) -> None:
    ids = await destinations(client)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    assert (await sender.create(ids["071110000000"], [])).status_code == 201
    await client.post("/_emulator/clock", json={"advance": "PT1801S"})
    problem(await sender.create(ids["071110000000"], []), 401, "invalid-authentication")
    problem(await client.post(f"{SUB}/v2/submissions", json={}), 401, "missing-authentication")


async def test_subscribers_see_only_their_destinations(client: httpx.AsyncClient) -> None:
    ids = await destinations(client)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    created = await sender.send(ids["071110000000"], {"a": 1}, [])
    mainz = await token(client, "fitconnect-subscriber-mainz")
    problem(await client.get(f"{SUB}/v2/submissions/{created['submissionId']}", headers=bearer(mainz)),
            403, "insufficient-privileges")
    problem(await client.get(f"{SUB}/v2/submissions", params={"destinationId": ids["071110000000"]},
                             headers=bearer(mainz)), 403, "insufficient-privileges")
    unlinked = await token(client, "fitconnect-subscriber-ohne-zustellpunkt")
    problem(await client.get(f"{SUB}/v2/submissions/{created['submissionId']}", headers=bearer(unlinked)),
            403, "insufficient-privileges")
    # A subscriber cannot send, a sender cannot read what it sent as if it were the authority.
    problem(await Sender(client, mainz).create(ids["073150000000"], []), 403, "insufficient-privileges")
    problem(await client.get(f"{SUB}/v2/submissions/{created['submissionId']}",
                             headers=bearer(sender.access_token)), 403, "insufficient-privileges")
    problem(await client.get(f"{SUB}/v2/submissions/{uuid.uuid4()}", headers=bearer(mainz)),
            404, "submission-not-found")


async def test_announcements_are_checked(client: httpx.AsyncClient) -> None:
    ids = await destinations(client)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    same = str(uuid.uuid4())
    body = problem(await sender.create(ids["071110000000"], [same, same]), 422, "duplicate-attachment-ids")
    assert body["duplicates"] == [same]
    problem(await sender.create(str(uuid.uuid4()), []), 404, "destination-not-found")
    problem(await sender.create(ids["071110000000"], ["keine-uuid"]), 422, "validation-error")
    unknown = await client.post(f"{SUB}/v2/submissions", headers=bearer(sender.access_token), json={
        "destinationId": ids["071110000000"], "announcedAttachments": [],
        "publicService": {"identifier": "urn:de:fim:leika:leistung:00000000000000", "name": "?"}})
    problem(unknown, 422, "service-type-not-allowed")
    listed = (await client.get("/_emulator/postfach/fitconnect/submissions")).json()
    assert listed == []


async def test_attachments_and_submit_are_checked(client: httpx.AsyncClient) -> None:
    ids = await destinations(client)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    key = await sender.encryption_key(ids["071110000000"])
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    created = (await sender.create(ids["071110000000"], [first, second])).json()
    submission_id = created["submissionId"]
    upload = encrypt(key, b"%PDF eins", "application/pdf")
    assert (await sender.upload(submission_id, first, upload)).status_code == 204
    assert (await sender.upload(submission_id, first, upload)).status_code == 204  # a retry changes nothing
    problem(await sender.upload(submission_id, first, encrypt(key, b"%PDF anders", "application/pdf")),
            409, "attachment-already-uploaded")
    problem(await sender.upload(submission_id, str(uuid.uuid4()), upload), 404, "attachment-not-found")
    problem(await sender.upload(submission_id, second, "a.b.c"), 422, "invalid-jwe")
    wrong_alg = await client.put(f"{SUB}/v2/submissions/{submission_id}/attachments/{second}",
                                 content=upload, headers={**bearer(sender.access_token),
                                                          "Content-Type": "application/octet-stream"})
    problem(wrong_alg, 415, "unsupported-media-type")
    other_key = jwk.JWK.generate(kty="RSA", size=2048)
    foreign = encrypt({**json.loads(other_key.export_public()), "kid": "fremd"}, b"x", "application/pdf")
    problem(await sender.upload(submission_id, second, foreign), 422, "invalid-jwe")

    data = json.dumps({"a": 1}).encode()
    metadata = json.dumps(metadata_for(data, {})).encode()
    body = problem(await sender.submit(submission_id, encrypt(key, metadata), encrypt(key, data)),
                   422, "missing-attachments")
    assert body["missingAttachments"] == [second]
    assert (await sender.upload(submission_id, second, encrypt(key, b"%PDF zwei", "application/pdf"))
            ).status_code == 204
    problem(await sender.submit(submission_id, encrypt(key, metadata, "text/plain"), encrypt(key, data)),
            422, "invalid-content-type")
    problem(await sender.submit(submission_id, encrypt(key, metadata), encrypt(key, data, "application/pdf")),
            422, "invalid-content-type")
    assert (await sender.submit(submission_id, encrypt(key, metadata), encrypt(key, data, "application/xml"))
            ).status_code == 200
    problem(await sender.submit(submission_id, encrypt(key, metadata), encrypt(key, data)),
            409, "submission-state-invalid")
    problem(await sender.upload(submission_id, second, upload), 409, "submission-state-invalid")


async def _received(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    ids = await destinations(client)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    created = await sender.send(ids["071110000000"], {"a": 1}, [b"%PDF anlage"])
    subscriber = await subscriber_for(client, ids["071110000000"], "fitconnect-subscriber-koblenz")
    return sender, subscriber, await subscriber.receive(created["submissionId"])


async def test_forged_sets_are_refused(client: httpx.AsyncClient) -> None:
    _, subscriber, received = await _received(client)
    case_id = received.submission["caseId"]
    forger = jwk.JWK.generate(kty="RSA", size=2048)
    forged = subscriber.event(received, "accept-submission", key=forger)
    assert (await subscriber.post_event(case_id, forged)).json()["type"] == PROBLEMS + "invalid-event"
    other_kid = subscriber.event(received, "accept-submission", key=forger, kid="anderer-schluessel")
    problem(await subscriber.post_event(case_id, other_kid), 422, "invalid-event")
    tampered_tags = subscriber.event(received, "accept-submission", tags={"metadata": "AAAA", "data": "BBBB"})
    body = problem(await subscriber.post_event(case_id, tampered_tags), 422, "invalid-event")
    assert "authenticationTags" in body["detail"]
    stale = subscriber.event(received, "accept-submission", iat=int(time.time()) - 3600)
    assert "stale" in problem(await subscriber.post_event(case_id, stale), 422, "invalid-event")["detail"]
    no_problems = subscriber.event(received, "reject-submission", problems=[])
    problem(await subscriber.post_event(case_id, no_problems), 422, "invalid-event")
    problem(await subscriber.post_event(case_id, "kein.jws"), 422, "invalid-event")
    # Nothing of that changed the state: the real accept still goes through.
    assert (await subscriber.post_event(case_id, subscriber.event(received, "accept-submission"))).status_code == 204


async def test_replayed_sets_are_refused(client: httpx.AsyncClient) -> None:
    _, subscriber, received = await _received(client)
    case_id = received.submission["caseId"]
    accept = subscriber.event(received, "accept-submission")
    assert (await subscriber.post_event(case_id, accept)).status_code == 204
    problem(await subscriber.post_event(case_id, accept), 409, "event-replayed")
    again = subscriber.event(received, "reject-submission", problems=[{"type": "x", "title": "t", "detail": "d",
                                                                       "instance": "i"}])
    problem(await subscriber.post_event(case_id, again), 409, "submission-state-invalid")


async def test_subscriber_rejects_a_hash_mismatch(client: httpx.AsyncClient) -> None:
    ids = await destinations(client)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    key = await sender.encryption_key(ids["071110000000"])
    created = (await sender.create(ids["071110000000"], [])).json()
    data = json.dumps({"a": 1}).encode()
    lying = json.dumps(metadata_for(b"etwas anderes", {})).encode()
    assert (await sender.submit(created["submissionId"], encrypt(key, lying), encrypt(key, data))).status_code == 200
    subscriber = await subscriber_for(client, ids["071110000000"], "fitconnect-subscriber-koblenz")
    received = await subscriber.receive(created["submissionId"])
    assert [p["type"].rsplit("/", 1)[1] for p in received.problems] == ["hash-mismatch"]
    assert (await subscriber.answer(received)).status_code == 204
    log = (await client.get(f"{SUB}/v2/cases/{created['caseId']}/events",
                            headers=bearer(sender.access_token))).json()["eventLog"]
    assert len(log) == 5  # create, submit, forward, reject, delete
