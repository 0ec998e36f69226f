"""End to end: a testsuite invoice with a Koblenz Leitweg-ID is validated, forwarded from the outbox into the
Stadt Koblenz Behördenpostfach (read by the city's Fachverfahren through the Postfach's own reader API, which is
the retrieval), and the supplier's status and Laufzettel follow every step. Plus the authority's own API, the ERP
webhook and forwarding failures on demand."""

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx
from lxml import etree

from kit.zbp import behoerdenpostfach_uuid
from tests.rechnungseingang.tools import (
    API,
    CII,
    CONTROLS,
    KOBLENZ_ARS,
    UBL,
    bearer,
    client_token,
    koblenz_invoice,
    supplier_token,
    upload,
)

FACHVERFAHREN = ("demo-fachverfahren", "demo-fachverfahren-secret")
KOBLENZ_MAILBOX = behoerdenpostfach_uuid(KOBLENZ_ARS)


async def wait_for_status(client: httpx.AsyncClient, token: str, invoice_id: str, status: str,
                          timeout: float = 20.0) -> dict[str, Any]:
    """Poll the supplier API until the invoice reaches ``status`` (the outbox delivers in the background)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body = (await client.get(f"{API}/invoices/{invoice_id}", headers=bearer(token))).json()
        if body["status"] == status:
            return body
        assert asyncio.get_running_loop().time() < deadline, f"still {body['status']}, not {status}"
        await asyncio.sleep(0.1)


async def test_koblenz_invoice_reaches_the_behoerdenpostfach_and_the_laufzettel_is_complete(
        client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    xml = koblenz_invoice(UBL)
    answer = await upload(client, token, xml)
    assert answer.status_code == 201, answer.text
    invoice_id = answer.json()["id"]
    forwarded = await wait_for_status(client, token, invoice_id, "forwarded")
    assert forwarded["status"] == "forwarded"

    # What the Postfach holds (its developer view): one message in Koblenz's Behördenpostfach
    box = (await client.get(f"/_emulator/postfach/mailboxes/{KOBLENZ_MAILBOX}/messages")).json()
    assert box["totalCount"] == 1
    message = box["messages"][0]
    assert "123456XX" in message["title"] and message["applicationId"] == invoice_id
    names = {a["filename"]: a for a in message["attachments"]}
    assert set(names) == {"rechnung-123456XX.xml", "pruefbericht.xml", "rechnung.html"}
    assert names["rechnung-123456XX.xml"]["sha512sum"] == hashlib.sha512(xml).hexdigest()

    # The city's Fachverfahren reads it with its own token: that is the retrieval
    reader = await client_token(client, *FACHVERFAHREN, resource="postfach")
    url = f"/postfach/api/v6/mailboxes/{KOBLENZ_MAILBOX}/messages/{message['messageId']}"
    read = await client.get(url, headers=bearer(reader))
    assert read.status_code == 200, read.text
    report_id = next(a["attachmentId"] for a in read.json()["attachments"] if a["filename"] == "pruefbericht.xml")
    report = await client.get(f"/postfach/api/v6/mailboxes/{KOBLENZ_MAILBOX}/messages/{message['messageId']}"
                              f"/attachments/{report_id}", headers=bearer(reader))
    assert etree.fromstring(report.content).get("valid") == "true"

    retrieved = await wait_for_status(client, token, invoice_id, "retrieved")
    assert retrieved["status"] == "retrieved"
    laufzettel = (await client.get(f"{API}/invoices/{invoice_id}/laufzettel", headers=bearer(token))).json()
    steps = [s["step"] for s in laufzettel["steps"]]
    assert steps == ["received", "scanned", "validated", "forwarded", "retrieved"]
    forwarded_step = laufzettel["steps"][3]
    assert forwarded_step["data"]["message_id"] == message["messageId"]
    assert forwarded_step["data"]["mailbox_uuid"] == KOBLENZ_MAILBOX


async def test_the_authority_lists_and_downloads_its_invoices(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    invoice_id = (await upload(client, token, koblenz_invoice(CII))).json()["id"]
    await wait_for_status(client, token, invoice_id, "forwarded")
    koblenz = await client_token(client, *FACHVERFAHREN, resource="rechnungseingang")
    listed = await client.get(f"{API}/authorities/{KOBLENZ_ARS}/invoices", headers=bearer(koblenz))
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()["invoices"]] == [invoice_id]
    xml = await client.get(f"{API}/authorities/{KOBLENZ_ARS}/invoices/{invoice_id}/xml", headers=bearer(koblenz))
    assert xml.content == koblenz_invoice(CII)
    html = await client.get(f"{API}/authorities/{KOBLENZ_ARS}/invoices/{invoice_id}/html", headers=bearer(koblenz))
    assert html.status_code == 200 and "Zahlbetrag" in html.text and "Angenommen" in html.text
    assert html.headers["content-security-policy"].startswith("default-src 'none'")
    # Mainz's client does not see Koblenz's invoices
    mainz = await client_token(client, "demo-fachverfahren-web", "demo-fachverfahren-web-secret",
                               resource="rechnungseingang")
    assert (await client.get(f"{API}/authorities/{KOBLENZ_ARS}/invoices", headers=bearer(mainz))).status_code == 404


async def test_forwarding_failures_are_retried_from_the_outbox(client: httpx.AsyncClient) -> None:
    armed = await client.post("/_emulator/faults", json={"service": "rechnungseingang", "operation": "forwarding",
                                                         "status": 503, "times": 1})
    assert armed.status_code == 201
    token = await supplier_token(client)
    invoice_id = (await upload(client, token, koblenz_invoice())).json()["id"]
    outbox = []
    for _ in range(100):
        outbox = [m for m in (await client.get("/_emulator/rechnungseingang/outbox")).json()
                  if m["channel"] == "postfach"]
        if outbox and outbox[0]["attempts"] >= 1 and outbox[0]["last_error"]:
            break
        await asyncio.sleep(0.05)
    assert outbox[0]["status"] == "pending" and "injected" in outbox[0]["last_error"].lower()
    body = await wait_for_status(client, token, invoice_id, "forwarded")
    assert body["status"] == "forwarded"


async def test_erp_webhook_is_signed(client: httpx.AsyncClient) -> None:
    received: list[tuple[bytes, str]] = []

    async def erp(scope: Any, receive: Any, send: Any) -> None:  # a tiny ERP receiving the webhook
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        received.append((body, headers.get(b"x-rechnungseingang-signature", b"").decode()))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    import uvicorn

    from tests.browser import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(erp, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        secret = "erp-geheimnis-123"
        registered = await client.post(f"{CONTROLS}/authorities", json={
            "ars": KOBLENZ_ARS, "name": "Stadt Koblenz", "client_id": "demo-fachverfahren",
            "erp_webhook_url": f"http://127.0.0.1:{port}/rechnungen", "erp_webhook_secret": secret})
        assert registered.status_code == 201, registered.text
        token = await supplier_token(client)
        invoice_id = (await upload(client, token, koblenz_invoice())).json()["id"]
        for _ in range(200):
            if received:
                break
            await asyncio.sleep(0.05)
        body, signature = received[0]
        assert json.loads(body)["invoiceId"] == invoice_id
        timestamp, mac = (part.split("=", 1)[1] for part in signature.split(","))
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(mac, expected)
    finally:
        server.should_exit = True
        await task
