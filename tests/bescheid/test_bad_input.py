"""Bad input gets a clear problem and changes nothing: no Bescheid stored, no number used up, nothing in the
addressee's Postfach."""

import httpx
import pytest

from tests.bescheid.tools import auth, notice

pytestmark = pytest.mark.asyncio(loop_scope="package")
API = "/bescheid/api/v1"
UNKNOWN_HANDLE = "5b7a1e0c-9d7b-4d8e-8f3a-000000000000"


async def nothing_issued(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    assert (await client.get(f"{API}/bescheide", headers=headers)).json() == []
    # The next valid notice gets the first number: the refused ones used none up.
    first = await client.post(f"{API}/bescheide", json=notice(), headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["number"] == "KO-2026-000001"


@pytest.mark.parametrize(("missing", "pointer"), [("rechtsbehelfsbelehrung", "/rechtsbehelfsbelehrung"),
                                                  ("authority", "/authority"), ("tenor", "/tenor")])
async def test_missing_mandatory_content_is_refused(client: httpx.AsyncClient, missing: str, pointer: str) -> None:
    headers = await auth(client)
    body = notice()
    del body[missing]
    answer = await client.post(f"{API}/bescheide", json=body, headers=headers)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in answer.json()["errors"]]
    blank = await client.post(f"{API}/bescheide", json={**notice(), missing: "   "}, headers=headers)
    assert blank.status_code == 422
    await nothing_issued(client, headers)


async def test_unknown_authority_template_and_addressee_are_refused(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    cases = [
        (notice(authority="stadt-nirgendwo"), "unknown-authority"),
        (notice(template="stadt-mainz/hundesteuer"), "unknown-template"),
        (notice(addressee={"postkorbHandle": UNKNOWN_HANDLE, "name": "Niemand"}), "unknown-addressee"),
    ]
    for body, kind in cases:
        answer = await client.post(f"{API}/bescheide", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"].endswith(kind)
    outbox = await client.get("/_emulator/bescheid/outbox")
    assert outbox.json() == []
    await nothing_issued(client, headers)


async def test_oversized_data_is_refused_before_anything_happens(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    huge = notice(begruendung="Lorem ipsum dolor sit amet. " * 12_000)  # > 256 KiB
    answer = await client.post(f"{API}/bescheide", json=huge, headers=headers)
    assert answer.status_code == 413
    assert answer.json()["type"].endswith("bescheid-data-too-large")
    await nothing_issued(client, headers)


async def test_with_the_tsa_down_nothing_above_b_b_is_sealed(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    fault = await client.post("/_emulator/faults", json={"service": "bescheid", "operation": "tsa.timestamp",
                                                          "status": 503, "type": "tsa-unavailable"})
    assert fault.status_code == 201, fault.text
    refused = await client.post(f"{API}/bescheide", json=notice(), headers=headers)
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("tsa-unavailable")
    tsa = await client.post("/bescheid/tsa", content=b"\x30\x00",
                            headers={"Content-Type": "application/timestamp-query"})
    assert tsa.status_code == 503
    basic = await client.post(f"{API}/bescheide", json=notice(padesLevel="B-B"), headers=headers)
    assert basic.status_code == 201  # a B-B seal needs no timestamp
    assert basic.json()["number"] == "KO-2026-000001"
    await client.delete("/_emulator/faults")
    again = await client.post(f"{API}/bescheide", json=notice(), headers=headers)
    assert again.status_code == 201
    assert again.json()["number"] == "KO-2026-000002"
