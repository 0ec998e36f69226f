"""The routing API (signed routes, areas, rate limit), the reply channel of bidirectional submissions, and the
emulator controls (new destinations, faults on demand, reset keeping keys)."""

import json
import uuid

import httpx
import pytest
from jwcrypto import jwe, jwk, jws

from tests.postfach.fitconnect.test_refusals import PROBLEMS, destinations, problem
from tests.postfach.fitconnect.test_roundtrip import subscriber_for, verify_set
from tests.postfach.fitconnect.tools import SUB, Sender, bearer, encrypt, metadata_for, seed, token

# On the folder's shared suite, whose connections and background tasks live in the package's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="package")

ROUTING = "/postfach/fitconnect/routing-api/v1"
CONTROLS = "/_emulator/postfach/fitconnect"


async def test_routes_by_leika_key_and_region_are_signed(client: httpx.AsyncClient) -> None:
    ids = await destinations(client)
    jwks = (await client.get(f"{SUB}/.well-known/jwks.json")).json()
    for area in ({"ars": "071110000000"}, {"ags": "07111000"}, {"areaId": "071110000000"}):
        answer = await client.get(f"{ROUTING}/routes", params={"leikaKey": "99050012104000", **area})
        assert answer.status_code == 200 and int(answer.headers["RateLimit-Remaining"]) >= 0
        body = answer.json()
        assert body["totalCount"] == 1
        route = body["routes"][0]
        assert route["destinationId"] == ids["071110000000"]
        signed = jws.JWS()
        signed.deserialize(route["destinationSignature"])
        key = next(k for k in jwks["keys"] if k["kid"] == signed.jose_header["kid"])
        signed.verify(jwk.JWK(**key), alg="PS512")
        payload = json.loads(signed.payload)
        assert payload["destinationId"] == ids["071110000000"]
        assert payload["services"] == [{"gebietIDs": ["071110000000"],
                                        "leistungIDs": ["urn:de:fim:leika:leistung:99050012104000"]}]
        keys = (await client.get(f"{SUB}/v2/destinations/{ids['071110000000']}/keys")).json()["keys"]
        assert route["destinationParameters"]["publicKeys"]["keys"][0] in keys
    none = await client.get(f"{ROUTING}/routes", params={"leikaKey": "99999999999999", "ars": "071110000000"})
    assert none.json()["routes"] == []
    problem(await client.get(f"{ROUTING}/routes", params={"leikaKey": "99050012104000"}), 400, "validation-error")
    areas = (await client.get(f"{ROUTING}/areas", params={"areaSearchexpression": "Mainz"})).json()
    assert [a["id"] for a in areas["areas"]] == ["073150000000"]
    assert (await client.get(f"{ROUTING}/info")).status_code == 200


async def test_routing_rate_limit_answers_429(client: httpx.AsyncClient) -> None:
    await client.post(f"{CONTROLS}/routing/rate-limit", json={"limit": 2, "window_seconds": 60})
    for remaining in ("1", "0"):
        answer = await client.get(f"{ROUTING}/areas")
        assert answer.headers["RateLimit-Limit"] == "2" and answer.headers["RateLimit-Remaining"] == remaining
    limited = problem(await client.get(f"{ROUTING}/areas"), 429, "too-many-requests")
    assert limited["status"] == 429
    assert int((await client.get(f"{ROUTING}/info")).headers["Retry-After"]) > 0


async def test_reply_channel_back_to_the_sender(client: httpx.AsyncClient) -> None:
    ids = await destinations(client)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    reply_key = jwk.JWK.generate(kty="RSA", size=2048, kid="antragsteller-reply")
    public = {**json.loads(reply_key.export_public()), "alg": "RSA-OAEP-256", "key_ops": ["wrapKey"]}
    created = await sender.send(ids["071110000000"], {"a": 1}, [], bidirectional=True,
                                metadata_extra={"replyChannel": {"fitConnect": {"encryptionPublicKey": public}}})
    plain = await sender.send(ids["071110000000"], {"b": 2}, [])
    subscriber = await subscriber_for(client, ids["071110000000"], "fitconnect-subscriber-koblenz")
    received = await subscriber.receive(created["submissionId"])
    assert received.problems == []
    key_for_reply = received.metadata["replyChannel"]["fitConnect"]["encryptionPublicKey"]
    headers = bearer(subscriber.access_token)

    refused = await client.post(f"{SUB}/v2/replies", headers=headers,
                                json={"caseId": plain["caseId"], "announcedAttachments": []})
    problem(refused, 422, "reply-channel-not-allowed")
    attachment_id = str(uuid.uuid4())
    reply = await client.post(f"{SUB}/v2/replies", headers=headers,
                              json={"caseId": created["caseId"], "announcedAttachments": [attachment_id]})
    assert reply.status_code == 201
    reply_id = reply.json()["replyId"]
    uploaded = await client.put(f"{SUB}/v2/replies/{reply_id}/attachments/{attachment_id}",
                                content=encrypt(key_for_reply, b"%PDF Bescheid", "application/pdf"),
                                headers={**headers, "Content-Type": "application/jose"})
    assert uploaded.status_code == 204
    answer = json.dumps({"nachricht": "Ihre Gewerbeanmeldung ist eingegangen."}).encode()
    sent = await client.put(f"{SUB}/v2/replies/{reply_id}", headers=headers, json={
        "encryptedMetadata": encrypt(key_for_reply, json.dumps(metadata_for(answer, {})).encode()),
        "encryptedData": encrypt(key_for_reply, answer)})
    assert sent.status_code == 200 and sent.json()["status"] == "submitted"

    listed = (await client.get(f"{SUB}/v2/replies", headers=bearer(sender.access_token))).json()
    assert [r["replyId"] for r in listed["replies"]] == [reply_id]
    fetched = (await client.get(f"{SUB}/v2/replies/{reply_id}", headers=bearer(sender.access_token))).json()

    def decrypt(token_text: str) -> bytes:
        message = jwe.JWE()
        message.deserialize(token_text, key=reply_key)
        return message.payload

    assert decrypt(fetched["encryptedData"]) == answer
    document = await client.get(f"{SUB}/v2/replies/{reply_id}/attachments/{attachment_id}",
                                headers=bearer(sender.access_token))
    assert decrypt(document.text) == b"%PDF Bescheid"
    # Nobody else sees it: another subscriber, nor the sender under the subscriber's role.
    other = await token(client, "fitconnect-subscriber-mainz")
    problem(await client.get(f"{SUB}/v2/replies/{reply_id}", headers=bearer(other)), 404, "reply-not-found")


async def test_controls_create_a_destination_and_inject_faults(client: httpx.AsyncClient) -> None:
    made = await client.post(f"{CONTROLS}/destinations", json={"name": "Verbandsgemeinde Testhausen",
                                                               "ars": "071375001001", "key_bits": 2048})
    assert made.status_code == 201
    destination_id = made.json()["destination"]["destinationId"]
    credentials = made.json()["subscriber"]
    sender = Sender(client, await token(client, "fitconnect-sender"))
    created = await sender.send(destination_id, {"a": 1}, [b"%PDF"])
    subscriber = await subscriber_for(client, destination_id, credentials["client_id"])
    received = await subscriber.receive(created["submissionId"])
    assert (await subscriber.answer(received)).status_code == 204

    for mode, slug in (("429", "too-many-requests"), ("403", "insufficient-privileges"),
                       ("503", "destination-unavailable")):
        armed = await client.post(f"{CONTROLS}/destinations/{destination_id}/behaviour", json={"mode": mode,
                                                                                              "times": 1})
        assert armed.status_code == 200
        problem(await sender.create(destination_id, []), int(mode), slug)
        assert (await sender.create(destination_id, [])).status_code == 201  # fired once, gone

    await client.post(f"{CONTROLS}/destinations/{destination_id}/behaviour", json={"mode": "reject"})
    rejected = await sender.send(destination_id, {"a": 1}, [])
    log = (await client.get(f"{SUB}/v2/cases/{rejected['caseId']}/events",
                            headers=bearer(sender.access_token))).json()["eventLog"]
    jwks = (await client.get(f"{SUB}/.well-known/jwks.json")).json()
    assert "https://schema.fitko.de/fit-connect/events/reject-submission" in verify_set(log[2], jwks)["events"]
    await client.post(f"{CONTROLS}/destinations/{destination_id}/behaviour", json={"mode": "normal"})
    assert rejected["submissionId"] not in {s["submissionId"] for s in await subscriber.pending()}


async def test_reset_keeps_the_keys_and_the_seed_lists_clients(client: httpx.AsyncClient) -> None:
    fc = await seed(client)
    assert {c["client_id"] for c in fc["clients"]} >= {"fitconnect-sender", "fitconnect-subscriber-koblenz",
                                                      "fitconnect-subscriber-ohne-zustellpunkt"}
    assert fc["token_url"].endswith("/postfach/fitconnect/token")
    destination_id = fc["destinations"][0]["destinationId"]
    before = (await client.get(f"{SUB}/v1/destinations/{destination_id}")).json()
    assert before["status"] == "active" and "services" in before and "publicServices" not in before
    assert (await client.post("/_emulator/reset")).status_code == 200
    after = (await client.get(f"{SUB}/v2/destinations/{destination_id}")).json()
    assert after["encryptionKid"] == before["encryptionKid"] and "publicServices" in after
    key = (await client.get(f"{SUB}/v2/destinations/{destination_id}/keys/{after['encryptionKid']}")).json()
    assert key["key_ops"] == ["wrapKey"] and key["alg"] == "RSA-OAEP-256" and "d" not in key
    assert PROBLEMS + "key-not-found" == (await client.get(
        f"{SUB}/v2/destinations/{destination_id}/keys/unbekannt")).json()["type"]
