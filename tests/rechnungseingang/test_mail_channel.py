"""The e-mail channel with Python's own smtplib as the sender's mail client: one invoice per mail from a registered
address, answered by mail (captured, readable through the emulator control); unregistered senders are refused."""

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from tests.rechnungseingang.tools import CONTROLS, UBL, koblenz_invoice

SENDER = "rechnung@musterbau.example"


@pytest.fixture
def mail_suite(client: httpx.AsyncClient, smtp_port: int) -> tuple[httpx.AsyncClient, int]:
    """The shared suite (conftest.py) listens for mail on ``smtp_port``."""
    return client, smtp_port


def _send(port: int, sender: str, attachments: list[tuple[str, bytes, str]]) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "rechnung@rlp.example", "Rechnung 123456XX"
    message.set_content("Anbei unsere Rechnung.")
    for name, data, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.send_message(message)


async def _mails(client: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    for _ in range(100):
        mails = (await client.get(f"{CONTROLS}/mails", params={"to": SENDER})).json()
        if len(mails) >= count:
            return mails
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} answers")


async def test_one_invoice_per_mail_is_answered_by_mail(mail_suite: tuple[httpx.AsyncClient, int]) -> None:
    client, port = mail_suite
    seed = (await client.get("/_emulator/seed")).json()["rechnungseingang"]
    assert seed["smtp"] == f"127.0.0.1:{port}"
    await asyncio.to_thread(_send, port, SENDER, [("rechnung.xml", koblenz_invoice(), "application/xml")])
    answer = (await _mails(client, 1))[0]
    assert "angenommen" in answer["subject"] and "Laufzettel" in answer["text"]
    assert answer["invoice_id"]

    await asyncio.to_thread(_send, port, SENDER, [("a.xml", koblenz_invoice(), "application/xml"),
                                                  ("b.xml", UBL.read_bytes(), "application/xml")])
    two = (await _mails(client, 2))[0]
    assert "abgelehnt" in two["subject"] and "genau eine Rechnung" in two["text"]


async def test_unregistered_senders_are_refused_in_the_smtp_dialogue(
        mail_suite: tuple[httpx.AsyncClient, int]) -> None:
    client, port = mail_suite
    with pytest.raises(smtplib.SMTPSenderRefused):
        await asyncio.to_thread(_send, port, "fremd@example.org", [("r.xml", koblenz_invoice(), "application/xml")])
    registered = await client.post(f"{CONTROLS}/senders", json={"address": "Fremd@Example.org", "name": "Fremd"})
    assert registered.status_code == 201
    await asyncio.to_thread(_send, port, "fremd@example.org", [("r.xml", koblenz_invoice(), "application/xml")])
    mails = (await client.get(f"{CONTROLS}/mails", params={"to": "fremd@example.org"})).json()
    for _ in range(100):
        if mails:
            break
        await asyncio.sleep(0.05)
        mails = (await client.get(f"{CONTROLS}/mails", params={"to": "fremd@example.org"})).json()
    assert "angenommen" in mails[0]["subject"]
