"""The emulator's index (``GET /_emulator``) and dashboard page (``GET /_emulator/ui``) over plain HTTP: both are
controls, refused to callers from elsewhere like every control, and the read-only control lists the page reads
(payments with their audit trail, invoices with report and Laufzettel, Bescheide, FIT-Connect event logs)."""

import re

import httpx

from gateway.app import Gateway
from kit.settings import SERVICE_NAMES
from tests.bescheid.tools import notice
from tests.bezahlplattform.conftest import KOBLENZ, office_client
from tests.conftest import client_for
from tests.postfach.fitconnect.tools import Sender, token
from tests.rechnungseingang.tools import koblenz_invoice, supplier_token, upload


async def test_the_page_and_the_index_answer_loopback_callers_only(suite: Gateway) -> None:
    async with client_for(suite, client=("203.0.113.7", 4711)) as stranger:
        for path in ("/_emulator/ui", "/_emulator"):
            refused = await stranger.get(path, headers={"Accept": "text/html"})
            assert refused.status_code == 403, path
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["type"].endswith("control-forbidden")
            assert "<html" not in refused.text

    async with client_for(suite) as local:
        page = await local.get("/_emulator/ui")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"])
        assert nonce and f'<script nonce="{nonce.group(1)}">' in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert '<html lang="de">' in page.text and "Emulator-Übersicht" in page.text
        assert f'data-services="{",".join(SERVICE_NAMES)}"' in page.text
        # Nothing from elsewhere: no external scripts, styles or fonts.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)

        index = await local.get("/_emulator")
        assert index.status_code == 200 and index.headers["content-type"] == "application/json"
        body = index.json()
        assert body["dashboard"] == "http://testserver/_emulator/ui" and body["unavailable"] == {}
        own = {(e["method"], e["path"]) for e in body["gateway"]}
        assert {("POST", "/_emulator/reset"), ("POST", "/_emulator/clock"), ("DELETE", "/_emulator/faults"),
                ("GET", "/_emulator/ui"), ("GET", "/_emulator")} <= own
        assert set(body["services"]) == set(SERVICE_NAMES)
        listed = {(e["method"], e["path"]) for endpoints in body["services"].values() for e in endpoints}
        assert {("GET", "/_emulator/postfach/outbox"), ("GET", "/_emulator/postfach/mails"),
                ("GET", "/_emulator/bezahlplattform/payments"), ("GET", "/_emulator/rechnungseingang/invoices"),
                ("GET", "/_emulator/bescheid/bescheide"), ("GET", "/_emulator/postfach/fitconnect/events"),
                ("GET", "/_emulator/nutzerkonto/tokens")} <= listed
        # Every listed service control answers through the gateway (here: the read-only lists).
        for path in ("/_emulator/bezahlplattform/payments", "/_emulator/bescheid/bescheide"):
            assert (await local.get(path)).status_code == 200, path

        html = await local.get("/_emulator", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert html.headers["content-type"].startswith("text/html")
        assert 'href="http://testserver/_emulator/ui"' in html.text and "/_emulator/bescheid/bescheide" in html.text


async def test_the_lists_the_dashboard_reads(client: httpx.AsyncClient) -> None:
    # A payment: created, then listed with its audit trail; status filters.
    dogs = office_client(client, "hundesteuer", "/bezahlplattform")
    info = (await dogs.create(amount=48.5, purpose="Hundesteuer 2027"))["paymentInformation"]
    payments = (await client.get("/_emulator/bezahlplattform/payments")).json()
    [payment] = [p for p in payments if p["transactionId"] == info["transactionId"]]
    assert payment["status"] == "INITIAL" and payment["grosAmount"] == 48.5 and payment["endpointId"] == KOBLENZ
    assert [a["event"] for a in payment["audit"]] == ["payment.created"]
    assert (await client.get("/_emulator/bezahlplattform/payments", params={"status": "PAYED"})).json() == []
    assert (await client.get("/_emulator/bezahlplattform/payments", params={"status": "paid"})).status_code == 422

    # A Bescheid, by any client: listed with its seal and delivery.
    fachverfahren = await client.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                                      data={"grant_type": "client_credentials", "resource": "bescheid"})
    issued = await client.post("/bescheid/api/v1/bescheide", json=notice(),
                               headers={"Authorization": f"Bearer {fachverfahren.json()['access_token']}"})
    assert issued.status_code == 201, issued.text
    [listed] = (await client.get("/_emulator/bescheid/bescheide")).json()
    assert listed["number"] == issued.json()["number"] and listed["seal"]["padesLevel"]
    assert (await client.get("/_emulator/bescheid/bescheide", params={"authority": "stadt-mainz"})).json() == []

    # An invoice: its report (without the parsed invoice) and its Laufzettel.
    answer = await upload(client, await supplier_token(client), koblenz_invoice(number="DASH-4711"))
    assert answer.status_code == 201, answer.text
    [invoice] = (await client.get("/_emulator/rechnungseingang/invoices")).json()
    assert invoice["invoiceNumber"] == "DASH-4711" and invoice["report"]["valid"] is True
    assert "invoice" not in invoice["report"] and "findings" in invoice["report"]
    assert invoice["laufzettel"][0]["step"] == "received"
    assert (await client.get("/_emulator/rechnungseingang/invoices", params={"status": "rejected"})).json() == []
    assert (await client.get("/_emulator/rechnungseingang/invoices", params={"status": "x"})).status_code == 422

    # A FIT-Connect submission: its case's event log, newest first.
    seed = (await client.get("/_emulator/seed")).json()["postfach"]["fitconnect"]
    koblenz = next(d for d in seed["destinations"] if d["ars"] == KOBLENZ)
    sender = Sender(client, await token(client, "fitconnect-sender"))
    created = await sender.send(koblenz["destinationId"], {"gewerbe": "Bäckerei"}, [b"%PDF-1 eins"])
    events = (await client.get("/_emulator/postfach/fitconnect/events",
                               params={"submissionId": created["submissionId"]})).json()
    assert [e["event"] for e in events] == ["submit-submission", "create-submission"]
    assert all(e["caseId"] == created["caseId"] and e["token"].count(".") == 2 for e in events)
    assert (await client.get("/_emulator/postfach/fitconnect/events", params={"caseId": "nope"})).json() == []
