"""The PyPI FIT-Connect clients against a running suite (``basisdienste up``), with only their base URLs
changed: ``fitconnect`` 0.4.2 sends (v1, ``serviceType``) and also subscribes (lists, downloads, decrypts,
checks hashes against its own bundled schema); ``fitconnect-client`` 0.1.3 sends without ``encryptedData``.
The jwcrypto test subscriber then decrypts, validates and answers with a SET the service verifies.

Both SDKs use ``requests``, so they need a real server; keys are RSA-4096 there, as the fitconnect SDK
refuses anything shorter."""

import asyncio
import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fitconnect import Environment, FITConnectClient
from fitconnect_client import Attachment, FitconnectClient
from fitconnect_client import Environment as ClientEnvironment
from sqlalchemy.engine import make_url

from tests import browser
from tests.postfach.fitconnect.tools import DATA_SCHEMA, LEIKA, SUB, TestSubscriber, bearer, token
from tests.shared_suite import TEST_DATABASE_URL, _admin

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def running_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``basisdienste up`` for this module's tests (its RSA-4096 keys take a while to make); on PostgreSQL
    in a database of its own, as the shared fixture does per test."""
    database_url = None
    if TEST_DATABASE_URL:
        name = f"bd_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
        database_url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    try:
        # The real key size: the fitconnect SDK refuses FIT-Connect keys below 4096 bits.
        with browser.running_suite(tmp_path_factory.mktemp("fitconnect"), database_url,
                                   environment={"BASISDIENSTE_POSTFACH_FITCONNECT_KEY_BITS": "4096"}) as base:
            yield base
    finally:
        if database_url:
            asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)'))


async def _admin_execute(statement: str) -> None:
    assert TEST_DATABASE_URL
    admin = await _admin(TEST_DATABASE_URL)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


def _fitconnect(base: str, client_id: str) -> FITConnectClient:
    client = FITConnectClient(Environment.TESTING, client_id, f"{client_id}-secret")
    client.token_url = f"{base}/postfach/fitconnect/token"
    client.submission_api_url = f"{base}{SUB}/v1"
    return client


def _seed(base: str) -> dict[str, Any]:
    return httpx.get(f"{base}/_emulator/seed", timeout=30).json()["postfach"]["fitconnect"]


def _private_keys(base: str, destination_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{base}/_emulator/postfach/fitconnect/destinations/{destination_id}/private-keys",
                       timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _answer_as_subscriber(base: str, destination_id: str, client_id: str,
                                submission_id: str) -> tuple[list[dict[str, str]], list[str]]:
    """The jwcrypto subscriber's verdict on the submission; answers the problems found and the event names."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        subscriber = TestSubscriber(client, await token(client, client_id), _private_keys(base, destination_id),
                                    destination_id)
        received = await subscriber.receive(submission_id)
        answered = await subscriber.answer(received)
        assert answered.status_code == 204, answered.text
        log = (await client.get(f"{SUB}/v2/submissions/{submission_id}/events",
                                headers=bearer(subscriber.access_token))).json()["eventLog"]
    names = [next(iter(json.loads(_payload(e))["events"])).rsplit("/", 1)[1] for e in log]
    return received.problems, names


def _payload(compact: str) -> bytes:
    part = compact.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_fitconnect_sdk_sends_and_subscribes(running_suite: str) -> None:
    base = running_suite
    destination = next(d for d in _seed(base)["destinations"] if d["ars"] == "073150000000")  # Mainz
    sender = _fitconnect(base, "fitconnect-sender")
    data = {"$schema": DATA_SCHEMA, "gewerbe": {"bezeichnung": "Weinhandel", "beginn": "2026-12-01"}}
    answer = sender.submission(destination["destinationId"], LEIKA, data=data, attachments=[b"%PDF-1.7 Gewerbe"])
    submission_id = answer["submissionId"]

    # The SDK as subscriber: lists, downloads and decrypts with the destination's private key, checks hashes.
    subscriber = _fitconnect(base, "fitconnect-subscriber-mainz")
    assert submission_id in {s["submissionId"] for s in subscriber.available_submissions()}
    keys = _private_keys(base, destination["destinationId"])
    retrieved = subscriber.retrieve_submission(submission_id, {**keys["encryption"], "key_ops": ["unwrapKey"]})
    assert retrieved["data_json"] == data
    assert list(retrieved["attachments"].values()) == [b"%PDF-1.7 Gewerbe"]

    problems, events = asyncio.run(_answer_as_subscriber(base, destination["destinationId"],
                                                         "fitconnect-subscriber-mainz", submission_id))
    assert problems == []
    assert events[-2:] == ["accept-submission", "delete-submission"]
    quirks = httpx.get(f"{base}/_emulator/postfach/fitconnect/submissions",
                       params={"destinationId": destination["destinationId"]}).json()
    warnings = next(s for s in quirks if s["submissionId"] == submission_id)["warnings"]
    assert any("thumbprint" in w for w in warnings) and any("zip" in w for w in warnings)
    # The SDK fetches a token before every request: tolerated, and reported.
    quirks = httpx.get(f"{base}/_emulator/postfach/fitconnect/client-quirks").json()
    assert any("token" in q for q in quirks["fitconnect-sender"])


def test_fitconnect_sdk_two_attachments_are_refused_for_reused_ids(running_suite: str) -> None:
    destination = _seed(running_suite)["destinations"][0]
    sender = _fitconnect(running_suite, "fitconnect-sender")
    # fitconnect 0.4.2 announces the same UUID for every attachment: the second would overwrite the first.
    with pytest.raises(ValueError, match="Could not create submission"):
        sender.submission(destination["destinationId"], LEIKA, data={"$schema": DATA_SCHEMA},
                          attachments=[b"eins", b"zwei"])


def test_fitconnect_client_sends_without_data_and_is_rejected_for_its_metadata(running_suite: str,
                                                                               tmp_path: Path) -> None:
    base = running_suite
    destination = next(d for d in _seed(base)["destinations"] if d["ars"] == "072110000000")  # Trier
    client = FitconnectClient(ClientEnvironment.TESTING, "fitconnect-sender", "fitconnect-sender-secret")
    client.oauth_api_url = f"{base}/postfach/fitconnect/token"
    client.submission_api_url = f"{base}{SUB}/v1"
    client.obtain_access_token()
    document = tmp_path / "nachweis.pdf"
    document.write_bytes(b"%PDF-1.7 Nachweis " + uuid.uuid4().bytes)
    attachment = Attachment(str(document), description="Nachweis", purpose="attachment")
    submission = client.create_submission(destination["destinationId"], LEIKA, "Gewerbeanmeldung", [attachment])
    metadata = client.create_metadata("2026-11-23", "AZ-0815", DATA_SCHEMA,
                                      "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json",
                                      "antragsteller@example.org", attachments=[attachment])
    assert client.send_submission(submission, metadata)["submissionId"] == submission.submission_id

    problems, events = asyncio.run(_answer_as_subscriber(base, destination["destinationId"],
                                                         "fitconnect-subscriber-trier", submission.submission_id))
    # Its metadata names a data schema but no data hash: a correct subscriber rejects it as a schema violation.
    assert [p["type"].rsplit("/", 1)[1] for p in problems] == ["schema-violation"]
    assert events[-2:] == ["reject-submission", "delete-submission"]
    listed = httpx.get(f"{base}/_emulator/postfach/fitconnect/submissions",
                       params={"destinationId": destination["destinationId"]}).json()
    warnings = next(s for s in listed if s["submissionId"] == submission.submission_id)["warnings"]
    assert any("encryptedData" in w for w in warnings)
