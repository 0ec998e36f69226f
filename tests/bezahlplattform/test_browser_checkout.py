"""The hosted checkout in real headless Chromium against ``basisdienste up``: one browser walks each method —
card with a 3-D Secure challenge, PayPal approval, giropay before its end date (emulator clock), SEPA-Lastschrift,
Überweisung — and a cancel; the online service's redirectUrl receives the final status, and the pulled status
agrees."""

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Page, Route, async_playwright

from tests.bezahlplattform.conftest import KOBLENZ, PARKING
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, basic
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

pytestmark = [pytest.mark.slow, needs_chromium]
ONLINE_SERVICE = "http://127.0.0.1:5173/zahlung/zurueck"


async def card_with_challenge(page: Page) -> None:
    await page.get_by_label("Kreditkarte", exact=True).check()
    await page.get_by_role("button", name="Weiter").click()
    await page.get_by_label("Name auf der Karte").fill("Erika Mustermann")
    await page.get_by_label("Kartennummer").fill("4000 0025 0000 3155")
    await page.get_by_label("Gültig bis (MM/JJ)").fill("12/34")
    await page.get_by_label("Kartenprüfnummer (CVC)").fill("123")
    await page.get_by_role("button", name="Jetzt bezahlen").click()
    await page.wait_for_url("**/creditcard/challenge")
    assert "•••• 3155" in await page.inner_text("main")
    await page.get_by_role("button", name="Authentifizierung abschließen").click()


async def paypal(page: Page) -> None:
    await page.get_by_label("PayPal", exact=True).check()
    await page.get_by_role("button", name="Weiter").click()
    await page.get_by_role("button", name="Weiter zu PayPal").click()
    await page.wait_for_url("**/paypal/checkoutnow?token=*")
    assert (await page.title()).startswith("PayPal")
    await page.get_by_role("button", name="Zustimmen und weiter").click()


async def giropay(page: Page) -> None:
    await page.get_by_label("giropay", exact=True).check()
    await page.get_by_role("button", name="Weiter").click()
    await page.get_by_label("BIC Ihrer Bank").fill("GENODEF1S04")
    await page.get_by_role("button", name="Weiter zum Online-Banking").click()
    await page.get_by_role("button", name="Zahlung freigeben").click()


async def sepa(page: Page) -> None:
    await page.get_by_label("SEPA-Lastschrift", exact=True).check()
    await page.get_by_role("button", name="Weiter").click()
    await page.get_by_label("Kontoinhaberin oder Kontoinhaber").fill("Max Mustermann")
    await page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 01")
    await page.get_by_role("button", name="Mandat erteilen und bezahlen").click()
    assert "Prüfziffern der IBAN stimmen nicht" in await page.get_by_role("alert").inner_text()
    await page.get_by_label("IBAN").fill("DE89 3704 0044 0532 0130 00")
    await page.get_by_label("SEPA-Lastschriftmandat").check()
    await page.get_by_role("button", name="Mandat erteilen und bezahlen").click()


async def transfer(page: Page) -> None:
    await page.get_by_label("Überweisung", exact=True).check()
    await page.get_by_role("button", name="Weiter").click()
    assert "DE02570501200000012345" in await page.inner_text("main")
    await page.get_by_role("button", name="Ich überweise den Betrag").click()


async def cancel(page: Page) -> None:
    await page.get_by_role("button", name="Abbrechen").click()


WALKS: list[tuple[str, Callable[[Page], Awaitable[None]], str, str | None]] = [
    ("3-D Secure", card_with_challenge, "PAYED", "CREDITCARD"),
    ("PayPal", paypal, "PAYED", "PAYPAL"),
    ("SEPA", sepa, "PAYED", "OTHER"),
    ("Überweisung", transfer, "INITIAL", "OTHER"),
    ("Abbruch", cancel, "CANCELED", None),
]


async def test_each_method_in_chromium(running_suite: str) -> None:
    base = running_suite
    arrived: list[str] = []

    async def online_service(route: Route) -> None:
        arrived.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html; charset=utf-8",
                            body="<!doctype html><html lang='de'><title>Zurück beim Dienst</title><p>Danke.</p>")

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        api = XBezahldiensteClient(http, "/bezahlplattform", PARKING[0], KOBLENZ, basic(PARKING[1], PARKING[2]))
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(locale="de-DE")
                await page.route("http://127.0.0.1:5173/**", online_service)
                walks = [*WALKS, ("giropay", giropay, "PAYED", "GIROPAY")]
                for name, walk, status, method in walks:
                    if name == "giropay":  # before giropay's end, by the emulator clock
                        await http.post("/_emulator/clock", json={"freeze": "2024-12-02T10:00:00+01:00"})
                    info = (await api.create(amount=30.0, redirect_url=ONLINE_SERVICE))["paymentInformation"]
                    await page.goto(info["transactionRedirectUrl"])
                    assert await page.title() == "Zahlungsart wählen \N{EN DASH} Bezahlplattform (Testumgebung)"
                    if name != "giropay":
                        assert "giropay wurde zum 31.12.2024 eingestellt" in await page.inner_text("main")
                        assert await page.get_by_label("giropay", exact=True).is_disabled()
                    await walk(page)
                    await page.wait_for_url(f"{ONLINE_SERVICE}?**")
                    query = {k: v[0] for k, v in parse_qs(urlsplit(arrived[-1]).query).items()}
                    assert query == {"transactionId": info["transactionId"], "status": status}, name
                    pulled = await api.status(info["transactionId"])
                    assert pulled["status"] == status and pulled["paymentMethod"] == method, (name, pulled)
            finally:
                await browser.close()
                await http.post("/_emulator/clock", json={"release": True})
    assert len(arrived) == len(WALKS) + 1
