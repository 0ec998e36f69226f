"""A submission end to end through the gateway with the independent jwcrypto sender and subscriber: announce,
upload two attachments, submit, fetch and decrypt, verify hashes and schema, accept; the event log holds SETs
signed by the service (verified with its JWKS) and the subscriber's accept."""

import json
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jws

from tests.postfach.fitconnect.tools import SUB, Sender, TestSubscriber, bearer, seed, token

# On the folder's shared suite, whose connections and background tasks live in the package's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="package")

EVENTS = "https://schema.fitko.de/fit-connect/events/"


async def subscriber_for(client: httpx.AsyncClient, destination_id: str, client_id: str) -> TestSubscriber:
    keys = (await client.get(f"/_emulator/postfach/fitconnect/destinations/{destination_id}/private-keys")).json()
    return TestSubscriber(client, await token(client, client_id), keys, destination_id)


def verify_set(token_text: str, jwks: dict[str, Any]) -> dict[str, Any]:
    message = jws.JWS()
    message.deserialize(token_text)
    header = message.jose_header
    assert header["typ"] == "secevent+jwt" and header["alg"] == "PS512"
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    message.verify(jwk.JWK(**key), alg="PS512")
    return json.loads(message.payload)


async def test_submission_accepted_with_verified_sets(client: httpx.AsyncClient) -> None:
    fc = await seed(client)
    koblenz = next(d for d in fc["destinations"] if d["ars"] == "071110000000")
    sender = Sender(client, await token(client, "fitconnect-sender"))
    created = await sender.send(koblenz["destinationId"], {"gewerbe": "Bäckerei"}, [b"%PDF-1 eins", b"%PDF-1 zwei"])

    subscriber = await subscriber_for(client, koblenz["destinationId"], "fitconnect-subscriber-koblenz")
    pending = await subscriber.pending()
    assert {"destinationId": koblenz["destinationId"], "submissionId": created["submissionId"],
            "caseId": created["caseId"]} in pending
    received = await subscriber.receive(created["submissionId"])
    assert received.problems == []
    assert json.loads(received.data or b"") == {"gewerbe": "Bäckerei"}
    assert sorted(received.attachments.values()) == [b"%PDF-1 eins", b"%PDF-1 zwei"]
    assert (await subscriber.answer(received)).status_code == 204

    jwks = (await client.get(f"{SUB}/.well-known/jwks.json")).json()
    destination_keys = (await client.get(f"{SUB}/v2/destinations/{koblenz['destinationId']}/keys")).json()
    log = (await client.get(f"{SUB}/v2/cases/{created['caseId']}/events",
                            headers=bearer(sender.access_token))).json()["eventLog"]
    names = []
    for entry in log:
        unverified = jws.JWS()
        unverified.deserialize(entry)
        if json.loads(unverified.objects["payload"])["iss"] == koblenz["destinationId"]:
            # Signed by the subscriber: verifiable with the destination's published signature key.
            claims = verify_set(entry, destination_keys)
        else:
            claims = verify_set(entry, jwks)
            assert claims["iss"].endswith("/postfach/fitconnect/submission-api")
        assert claims["sub"] == f"submission:{created['submissionId']}"
        assert claims["txn"] == f"case:{created['caseId']}"
        assert claims["$schema"].endswith("/set-payload/1.0.0/set-payload.schema.json")
        (uri,) = claims["events"]
        names.append(uri.removeprefix(EVENTS))
    assert names == ["create-submission", "submit-submission", "forward-submission", "accept-submission",
                     "delete-submission"]
    # Accepted submissions leave the subscriber's list, and their content is deleted.
    assert created["submissionId"] not in {s["submissionId"] for s in await subscriber.pending()}
