"""The emulator dashboard in real headless Chromium against the suite over HTTP: what a test made — a Bescheid
delivered to Erika's Postfach with its notification mail, a payment whose webhook reached the online service — shows
on ``/_emulator/ui`` with its Bekanntgabe, proof and audit trail; faults and the clock are set from the page, the
page can pause its refreshing, and a reset from the page empties it."""

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from harness.suite import Suite
from tests.bescheid.tools import notice
from tests.bezahlplattform.conftest import KOBLENZ
from tests.bezahlplattform.xbd_client import payment_request
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

pytestmark = [pytest.mark.slow, needs_chromium]
ERIKA_MAIL = "erika.mustermann@example.org"


@contextlib.contextmanager
def webhook_receiver() -> Iterator[str]:
    """An online service's webhook endpoint that takes everything (signatures are tests/bezahlplattform's business)."""

    class Accept(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    finally:
        server.shutdown()
        server.server_close()


def issue_bescheid(http: httpx.Client) -> dict[str, Any]:
    token = http.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                      data={"grant_type": "client_credentials", "resource": "bescheid"}).json()["access_token"]
    answer = http.post("/bescheid/api/v1/bescheide", json=notice(), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def create_payment(http: httpx.Client, webhook_url: str, purpose: str) -> dict[str, Any]:
    """A new online service with a webhook (registered through the control API), and a payment through its API."""
    registered = http.post("/_emulator/bezahlplattform/originators", json={
        "originatorId": "sondernutzung", "name": "Sondernutzungserlaubnis", "basicUsername": "sondernutzung-user",
        "basicPassword": "sondernutzung-passwort", "webhookUrl": webhook_url, "webhookSecret": "whsec_dashboard",
        "endpoints": [{"endpointId": KOBLENZ, "name": "Stadt Koblenz", "serviceName": "Sondernutzungserlaubnis"}]})
    assert registered.status_code in (201, 409), registered.text
    answer = http.post(f"/bezahlplattform/paymenttransaction/sondernutzung/{KOBLENZ}",
                       json=payment_request(amount=42.5, purpose=purpose),
                       auth=("sondernutzung-user", "sondernutzung-passwort"))
    assert answer.status_code == 200, answer.text
    return answer.json()["paymentInformation"]  # type: ignore[no-any-return]


def eventually(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within time"
        time.sleep(0.1)


def panel(page: Page, name: str) -> Any:
    return page.locator(f"#{name}-inhalt")


def test_the_dashboard_shows_what_was_sent_sets_faults_and_the_clock_and_resets(basisdienste: Suite,
                                                                                 tmp_path: Path) -> None:
    with basisdienste.http() as http, webhook_receiver() as hook, sync_playwright() as playwright:
        bescheid = issue_bescheid(http)
        payment = create_payment(http, hook, "Sondernutzung Marktplatz")
        transaction = payment["transactionId"]
        eventually(lambda: any(w["status"] == "delivered"
                               for w in http.get("/_emulator/bezahlplattform/webhooks").json()))

        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="de-DE", timezone_id="Europe/Berlin",
                                    viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(f"{basisdienste.url}/_emulator/ui")
            assert page.title() == "Emulator-Übersicht \N{EN DASH} Basisdienste (Testumgebung)"

            # Health and clock.
            expect(page.locator("#dienste-anzahl")).to_have_text("(5 von 5 in Ordnung)")
            expect(page.locator("#uhr-zustand")).to_have_text("läuft")

            # The notification mail, the webhook with its delivered attempt, the outbox entries.
            mail = panel(page, "mails").get_by_role("row").filter(has_text=ERIKA_MAIL)
            expect(mail).to_contain_text("Neue Nachricht in Ihrem Postfach")
            mail.get_by_text("anzeigen").click()
            expect(mail.locator("pre")).to_be_visible()
            expect(mail.locator("pre")).to_contain_text(bescheid["number"])
            webhook = panel(page, "webhooks").get_by_role("row").filter(has_text="payment.created")
            expect(webhook).to_contain_text("zugestellt")
            expect(webhook.locator(f"code[title='{transaction}']")).to_be_visible()
            webhook.get_by_text("Versuche und Inhalt").click()
            expect(webhook.get_by_role("cell", name="HTTP 204")).to_be_visible()
            expect(panel(page, "outbox")).to_contain_text("bp-webhook")
            expect(panel(page, "outbox")).to_contain_text(ERIKA_MAIL)

            # The payment with its audit trail; the Bescheid; its Postfach message, Bekanntgabe and proof.
            row = panel(page, "zahlungen").get_by_role("row").filter(has_text="Sondernutzung Marktplatz")
            expect(row).to_contain_text("42,50 €")
            expect(row).to_contain_text(payment["transactionReference"])
            row.get_by_text("1 Eintrag").click()
            expect(row.get_by_role("cell", name="payment.created")).to_be_visible()
            expect(row.get_by_role("cell", name="\N{EN DASH} → INITIAL")).to_be_visible()
            expect(panel(page, "bescheide")).to_contain_text(bescheid["number"])
            message = panel(page, "nachrichten").get_by_role("row").filter(has_text=bescheid["number"])
            expect(message).to_contain_text("noch nicht bekannt gegeben")
            message.get_by_role("button", name="Nachweis").click()
            # Loaded on demand, shown opened.
            expect(message.get_by_text("Kette vollständig und unverändert.")).to_be_visible()
            expect(message.get_by_role("cell", name="provided", exact=True)).to_be_visible()
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

            # A fault armed from the page, then removed there.
            page.get_by_label("Dienst", exact=True).select_option("bescheid")
            page.get_by_label("Operation").fill("tsa.timestamp")
            page.get_by_label("HTTP-Status").fill("503")
            page.get_by_role("button", name="Fault hinzufügen").click()
            expect(page.get_by_role("status")).to_have_text("Fault tsa.timestamp bei bescheid aktiv.")
            expect(panel(page, "faults")).to_contain_text("HTTP 503")
            assert [f["operation"] for f in http.get("/_emulator/faults").json()] == ["tsa.timestamp"]
            page.get_by_role("button", name="Fault tsa.timestamp bei bescheid entfernen").click()
            expect(panel(page, "faults")).to_have_text("Keine Einträge.")
            assert http.get("/_emulator/faults").json() == []

            # The clock frozen from the page: every service stands at that time (Berlin: UTC+1 in January).
            page.get_by_label("Zeitpunkt (Ortszeit dieses Browsers)").fill("2027-01-15T09:30:00")
            page.get_by_role("button", name="Einfrieren").click()
            expect(page.locator("#uhr-zustand")).to_have_text("eingefroren")
            expect(panel(page, "uhr")).to_contain_text("15.01.2027, 09:30:00")
            assert http.get("/_emulator/clock").json() == {"now": "2027-01-15T08:30:00Z", "frozen": True,
                                                           "offset_seconds": 0.0}
            assert {s["time"][:19] for s in http.get("/health").json()["services"].values()} == {
                "2027-01-15T08:30:00"}
            page.get_by_role("button", name="+1 Tag").click()
            expect(panel(page, "uhr")).to_contain_text("16.01.2027, 09:30:00")

            # Paused, the page shows nothing new until asked.
            page.get_by_role("button", name="Automatische Aktualisierung anhalten").click()
            expect(page.get_by_role("button", name="Automatische Aktualisierung fortsetzen")).to_have_attribute(
                "aria-pressed", "false")
            create_payment(http, hook, "Sondernutzung Weinfest")
            page.wait_for_timeout(3000)
            expect(panel(page, "zahlungen")).not_to_contain_text("Sondernutzung Weinfest")
            page.get_by_role("button", name="Jetzt aktualisieren").click()
            expect(panel(page, "zahlungen")).to_contain_text("Sondernutzung Weinfest")
            page.get_by_role("button", name="Automatische Aktualisierung fortsetzen").click()

            # Reset from the page (after confirming): what was sent is gone, the clock runs again.
            page.once("dialog", lambda dialog: dialog.accept())
            page.get_by_role("button", name="Alles zurücksetzen").click()
            expect(page.get_by_role("status")).to_contain_text("Zurückgesetzt")
            for name in ("mails", "webhooks", "outbox", "zahlungen", "bescheide", "nachrichten"):
                expect(panel(page, name)).to_have_text("Keine Einträge.")
            expect(page.locator("#uhr-zustand")).to_have_text("läuft")
            assert http.get("/_emulator/bezahlplattform/payments").json() == []
            assert problems == []
        finally:
            browser.close()
