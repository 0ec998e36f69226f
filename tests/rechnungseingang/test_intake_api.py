"""The supplier's REST API through the gateway, with a real Nutzerkonto login of Musterbau GmbH: submit, status,
Laufzettel, report, and that a supplier sees only their own invoices."""

import httpx
from lxml import etree

from tests.rechnungseingang.tools import (
    API,
    CII,
    CONTROLS,
    KOBLENZ_LEITWEG_ID,
    UBL,
    bearer,
    koblenz_invoice,
    supplier_token,
    upload,
    with_buyer_reference,
)

VARL = "http://www.xoev.de/de/validator/varl/1"


async def test_a_testsuite_invoice_for_koblenz_is_accepted_and_listed(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    answer = await upload(client, token, koblenz_invoice())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] in ("validated", "forwarded") and body["accepted"] is True
    assert body["leitwegId"] == KOBLENZ_LEITWEG_ID and body["invoiceNumber"] == "123456XX"
    assert body["report"]["accepted"] is True and answer.headers["location"].endswith(body["id"])

    listed = await client.get(f"{API}/invoices", headers=bearer(token))
    assert [i["id"] for i in listed.json()["invoices"]] == [body["id"]]
    laufzettel = (await client.get(f"{API}/invoices/{body['id']}/laufzettel", headers=bearer(token))).json()
    steps = [s["step"] for s in laufzettel["steps"]]
    assert steps[:3] == ["received", "scanned", "validated"]
    assert all(s["at"].endswith("Z") for s in laufzettel["steps"])

    html = await client.get(f"{API}/invoices/{body['id']}/laufzettel", headers={**bearer(token),
                                                                                 "Accept": "text/html"})
    assert html.status_code == 200 and "Laufzettel" in html.text and "Stadt Koblenz" in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]

    varl = await client.get(f"{API}/invoices/{body['id']}/report", headers={**bearer(token),
                                                                            "Accept": "application/xml"})
    report = etree.fromstring(varl.content)
    assert report.tag == f"{{{VARL}}}report" and report.get("valid") == "true"
    assert report.find(f".//{{{VARL}}}accept") is not None


async def test_another_supplier_never_sees_the_invoice(client: httpx.AsyncClient) -> None:
    own = await supplier_token(client)
    invoice_id = (await upload(client, own, koblenz_invoice(CII))).json()["id"]
    # Another company: a new organisation identity in the Nutzerkonto, logging in with Elster.
    created = await client.post("/_emulator/nutzerkonto/identities", json={
        "id": "baustoffe-schmidt", "kind": "organisation", "display_name": "Baustoffe Schmidt KG",
        "username": "schmidt", "methods": ["Elster"], "attributes": {"organizationName": "Baustoffe Schmidt KG"}})
    assert created.status_code == 201, created.text
    other = await supplier_token(client, identity="baustoffe-schmidt")
    for path in ("", "/laufzettel", "/report"):
        answer = await client.get(f"{API}/invoices/{invoice_id}{path}", headers=bearer(other))
        assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"{API}/invoices", headers=bearer(other))).json()["invoices"] == []


async def test_only_company_logins_may_submit(client: httpx.AsyncClient) -> None:
    missing = await client.post(f"{API}/invoices", content=koblenz_invoice(),
                                headers={"Content-Type": "application/xml"})
    assert missing.status_code == 401
    citizen = await supplier_token(client, identity="erika-mustermann", method="eID")
    refused = await upload(client, citizen, koblenz_invoice())
    assert refused.status_code == 403 and refused.json()["type"].endswith("supplier-login-required")
    service = await client.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                                data={"grant_type": "client_credentials", "resource": "rechnungseingang"})
    assert (await upload(client, service.json()["access_token"], koblenz_invoice())).status_code == 403


async def test_leitweg_ids_that_fail_or_are_unknown_are_rejected_with_a_laufzettel(
        client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    cases = {
        # the testsuite's own BT-10 values: one with a wrong check number, one valid but routed nowhere
        "04011000-12345-34": "leitweg-id-check-digit",
        "99000000-01944-98": "leitweg-id-check-digit",
        "99000000-05676-98": "leitweg-id-check-digit",
        "04011000-12345-03": "leitweg-id-unknown",
        "90000000-03083-72": "leitweg-id-format",
        "Leitweg-ID": "leitweg-id-format",
    }
    for value, code in cases.items():
        answer = await upload(client, token, with_buyer_reference(UBL.read_bytes(), value))
        assert answer.status_code == 422, value
        problem = answer.json()
        assert problem["type"].endswith("invoice-rejected")
        assert [r["code"] for r in problem["invoice"]["reasons"]] == [code], value
        # KoSIT's verdict stays "accept": the check number is the platform's rule, not XRechnung's
        assert problem["report"]["accepted"] is True
        laufzettel = await client.get(f"{API}/invoices/{problem['invoice']['id']}/laufzettel",
                                      headers=bearer(token))
        assert laufzettel.json()["status"] == "rejected"
        assert laufzettel.json()["steps"][-1]["step"] == "rejected"


async def test_registered_testsuite_leitweg_id_routes(client: httpx.AsyncClient) -> None:
    routed = await client.post(f"{CONTROLS}/leitweg-ids", json={"leitweg_id": "04011000-12345-03",
                                                               "ars": "071110000000"})
    assert routed.status_code == 201
    refused = await client.post(f"{CONTROLS}/leitweg-ids", json={"leitweg_id": "04011000-12345-34",
                                                                "ars": "071110000000"})
    assert refused.status_code == 422
    unaddressable = await client.post(f"{CONTROLS}/leitweg-ids", json={"leitweg_id": "90000000-03083-72",
                                                                      "ars": "071110000000"})
    assert unaddressable.status_code == 422
    token = await supplier_token(client)
    answer = await upload(client, token, UBL.read_bytes())
    assert answer.status_code == 201, answer.text


async def test_an_invalid_invoice_is_rejected_with_rule_ids(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    xml = koblenz_invoice().replace(b"<cbc:PayableAmount currencyID=\"EUR\">",
                                    b"<cbc:PayableAmount currencyID=\"EUR\">1", 1)
    answer = await upload(client, token, xml)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["report"]["accepted"] is False
    assert any(f["rule_id"].startswith("BR-CO") for f in problem["report"]["findings"])


async def test_duplicates_are_flagged_not_blocked(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    first = await upload(client, token, koblenz_invoice(number="RE-2026-1"))
    second = await upload(client, token, koblenz_invoice(number="RE-2026-1"))
    other = await upload(client, token, koblenz_invoice(number="RE-2026-2"))
    assert first.status_code == second.status_code == other.status_code == 201
    assert first.json()["duplicateOf"] is None and other.json()["duplicateOf"] is None
    assert second.json()["duplicateOf"] == first.json()["id"]
    steps = (await client.get(f"{API}/invoices/{second.json()['id']}/laufzettel", headers=bearer(token))).json()
    assert "duplicate" in [s["step"] for s in steps["steps"]]
