"""Issuing Bescheide over the API as a Fachverfahren does: numbered per authority and year, rendered as PDF/A
with the data embedded, idempotent, listed and fetched; checked with qpdf and poppler's pdftotext."""

import asyncio
import json
import subprocess
import uuid

import httpx
import pytest

from tests.bescheid.tools import auth, notice, postkorb_handle

pytestmark = pytest.mark.asyncio(loop_scope="package")
API = "/bescheid/api/v1"


async def create(client: httpx.AsyncClient, headers: dict[str, str], **overrides: object) -> dict:
    answer = await client.post(f"{API}/bescheide", json=notice(**overrides), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_bescheid_is_numbered_sealed_delivered_and_readable(client: httpx.AsyncClient, tmp_path) -> None:
    headers = await auth(client)
    first = await create(client, headers)
    second = await create(client, headers, template="stadt-koblenz/hundesteuer",
                          fields={"hund": "Bello (Labrador)", "steuermarke": "0815", "zeitraum": "2027"})
    assert first["number"] == "KO-2026-000001"
    assert second["number"] == "KO-2026-000002"
    assert first["seal"]["padesLevel"] == "B-LT"  # Stadt Koblenz's default
    assert first["delivery"]["status"] == "delivered"
    assert first["delivery"]["bekanntgabe"]["rule"] == "ozg9"

    pdf = await client.get(f"{API}/bescheide/{first['id']}/pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "bescheid.pdf"
    path.write_bytes(pdf.content)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    for expected in ("Stadt Koblenz", "KO-2026-000001", "32.1-BPA-2026-0042", "Rechtsbehelfsbelehrung",
                     "Begründung", "30,70 EUR", "KO-EM 123", "TESTUMGEBUNG"):
        assert expected in text, expected
    # PDF/A-3b: XMP declares the part and conformance; the sRGB output intent and the embedded font are there.
    assert b"pdfaid:part" in pdf.content and b"/OutputIntents" in pdf.content and b"/FontFile2" in pdf.content
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVuSans" in fonts and "yes" in fonts.split("\n")[2]
    attached = subprocess.run(["qpdf", f"--show-attachment={'bescheid.json'}", str(path)], capture_output=True)
    assert attached.returncode == 0, attached.stderr
    embedded = json.loads(attached.stdout)
    assert embedded["bescheidNummer"] == "KO-2026-000001"
    assert embedded["rechtsbehelfsbelehrung"].startswith("Gegen diesen Bescheid")
    data = await client.get(f"{API}/bescheide/{first['id']}/data", headers=headers)
    assert data.json() == embedded


async def test_numbering_is_per_authority_and_year(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    assert (await create(client, headers))["number"] == "KO-2026-000001"
    assert (await create(client, headers, date="2027-01-04"))["number"] == "KO-2027-000001"
    mainz = await create(client, headers, authority="stadt-mainz", template="stadt-mainz/hundesteuer")
    assert mainz["number"] == "MZ-2026-000001"
    assert mainz["seal"]["padesLevel"] == "B-LTA"
    changed = await client.patch("/_emulator/bescheid/authorities/stadt-mainz", json={"padesLevel": "B-T"})
    assert changed.status_code == 200, changed.text
    authorities = (await client.get(f"{API}/authorities", headers=headers)).json()
    assert {a["id"]: a["padesLevel"] for a in authorities} == {"stadt-koblenz": "B-LT", "stadt-mainz": "B-T"}
    templates = (await client.get(f"{API}/templates", params={"authority": "stadt-koblenz"}, headers=headers)).json()
    assert {t["id"] for t in templates} == {"stadt-koblenz/bewohnerparkausweis", "stadt-koblenz/hundesteuer"}
    mainz = await create(client, headers, authority="stadt-mainz", template="stadt-mainz/hundesteuer")
    assert (mainz["number"], mainz["seal"]["padesLevel"]) == ("MZ-2026-000002", "B-T")
    assert (await create(client, headers))["number"] == "KO-2026-000002"


async def test_an_idempotency_key_makes_a_retry_return_the_same_bescheid(client: httpx.AsyncClient) -> None:
    headers = {**await auth(client), "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post(f"{API}/bescheide", json=notice(), headers=headers)
    again = await client.post(f"{API}/bescheide", json=notice(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    listed = await client.get(f"{API}/bescheide", headers=await auth(client))
    assert [b["number"] for b in listed.json()] == ["KO-2026-000001"]


async def test_lists_filter_by_authority_and_addressee(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    erika = await create(client, headers)
    max_ = await create(client, headers, addressee={"postkorbHandle": postkorb_handle("max-mustermann"),
                                                    "name": "Max Mustermann", "address": ["Musterweg 1"]})
    mainz = await create(client, headers, authority="stadt-mainz", template="stadt-mainz/hundesteuer",
                         padesLevel="B-B")

    def ids(answer: httpx.Response) -> set[str]:
        assert answer.status_code == 200, answer.text
        return {b["id"] for b in answer.json()}

    assert ids(await client.get(f"{API}/bescheide", headers=headers)) == {erika["id"], max_["id"], mainz["id"]}
    assert ids(await client.get(f"{API}/bescheide", params={"authority": "stadt-koblenz"}, headers=headers)) == {
        erika["id"], max_["id"]}
    assert ids(await client.get(f"{API}/bescheide", params={"addressee": postkorb_handle("max-mustermann")},
                                headers=headers)) == {max_["id"]}
    single = await client.get(f"{API}/bescheide/{mainz['id']}", headers=headers)
    assert single.json()["seal"]["padesLevel"] == "B-B"


async def test_without_a_token_nothing_is_issued_or_shown(client: httpx.AsyncClient) -> None:
    answer = await client.post(f"{API}/bescheide", json=notice())
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    wrong_audience = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials",
                                                                    "resource": "postfach"},
                                       auth=("demo-fachverfahren", "demo-fachverfahren-secret"))
    refused = await client.get(f"{API}/bescheide", headers={
        "Authorization": f"Bearer {wrong_audience.json()['access_token']}"})
    assert refused.status_code == 401
    assert (await client.get(f"{API}/bescheide", headers=await auth(client))).json() == []


async def test_concurrent_notices_never_share_a_number(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    answers = await asyncio.gather(*(client.post(f"{API}/bescheide", json=notice(aktenzeichen=f"AZ-{n}",
                                                                                  padesLevel="B-B"), headers=headers)
                                     for n in range(6)))
    assert [a.status_code for a in answers] == [201] * 6
    assert sorted(a.json()["number"] for a in answers) == [f"KO-2026-{n:06d}" for n in range(1, 7)]
