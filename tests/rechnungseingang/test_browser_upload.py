"""The German upload page in real headless Chromium against ``basisdienste up`` on a real port: Musterbau GmbH logs
in with Mein Unternehmenskonto (ELSTER-Zertifikat) at the Nutzerkonto, uploads a testsuite invoice addressed to
Stadt Koblenz and reads at once that it was accepted, then uploads an invoice with a wrong amount and reads the
rejection with the rule ids; the accepted one arrives in Koblenz's Behördenpostfach."""

import asyncio
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, async_playwright

from kit.zbp import behoerdenpostfach_uuid
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.rechnungseingang.tools import KOBLENZ_ARS, KOBLENZ_LEITWEG_ID, koblenz_invoice

pytestmark = [pytest.mark.slow, needs_chromium]

# A wrong amount due for payment (BT-115): the EN 16931 sum rules (BR-CO-*) reject it.
WRONG_TOTAL = koblenz_invoice(number="RE-2026-0815").replace(
    b'<cbc:PayableAmount currencyID="EUR">', b'<cbc:PayableAmount currencyID="EUR">1', 1)


async def _upload(page: Page, name: str, data: bytes) -> None:
    await page.get_by_label("Rechnungsdatei").set_input_files({"name": name, "mimeType": "application/xml",
                                                                "buffer": data})
    await page.get_by_role("button", name="Rechnung prüfen und einreichen").click()
    await page.wait_for_load_state()


async def test_musterbau_uploads_an_invoice_and_reads_the_report_in_chromium(running_suite: str,
                                                                            tmp_path: Path) -> None:
    base = running_suite
    portal = f"{base}/rechnungseingang/portal"
    csp_violations: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="de-DE", viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text
                    else None)
            await page.goto(portal)
            assert await page.title() == "Anmeldung \N{EN DASH} Zentraler E-Rechnungseingang RLP (Testumgebung)"
            await page.get_by_role("link", name="Mit Unternehmenskonto anmelden").click()

            # The Nutzerkonto's own login page: the company with its ELSTER certificate.
            await page.wait_for_url("**/nutzerkonto/login/**")
            await page.get_by_label("Musterbau GmbH", exact=False).check()
            await page.get_by_label("ELSTER-Zertifikat", exact=False).check()
            await page.get_by_role("button", name="Anmelden").click()
            await page.wait_for_url(portal)
            assert await page.get_by_role("heading", level=1).inner_text() == "E-Rechnung hochladen"
            assert "Angemeldet als Musterbau GmbH" in await page.locator("main").inner_text()

            # A testsuite invoice (XRechnung 3.0 UBL) with Stadt Koblenz's Leitweg-ID: accepted at once.
            await _upload(page, "rechnung-123456XX.xml", koblenz_invoice())
            assert await page.get_by_role("heading", level=1).inner_text() == "Prüfbericht zur Rechnung 123456XX"
            verdict = await page.get_by_role("status").inner_text()
            assert verdict.startswith("Angenommen.") and "XRechnung (UBL Invoice)" in verdict
            facts = await page.locator("dl.facts").first.inner_text()
            assert KOBLENZ_LEITWEG_ID in facts and "rechnung-123456XX.xml" in facts
            text = await page.locator("main").inner_text()
            assert "0 Fehler, 0 Warnungen" in text and "Empfänger: Stadt Koblenz" in text
            await page.screenshot(path=str(tmp_path / "angenommen.png"), full_page=True)

            # A second upload with a wrong payable amount: rejected, the rules that failed are shown by id.
            await page.get_by_role("link", name="Weitere Rechnung hochladen").click()
            await _upload(page, "rechnung-RE-2026-0815.xml", WRONG_TOTAL)
            assert await page.get_by_role("alert").inner_text() == ("Abgelehnt. Die Rechnung wurde nicht "
                                                                    "weitergeleitet.")
            findings = page.locator("section[aria-labelledby=pruefbericht] table tbody tr")
            rules = [(await findings.nth(i).locator("td").first.inner_text())
                     for i in range(await findings.count())]
            assert any(rule.startswith("BR-CO-") for rule in rules), rules
            row = findings.filter(has_text="BR-CO-").first
            assert "Fehler" in await row.inner_text() and "/" in await row.locator("td").nth(4).inner_text()
            await page.screenshot(path=str(tmp_path / "abgelehnt.png"), full_page=True)

            # The overview lists both, newest first, with their status in words.
            await page.goto(portal)
            rows = page.locator("table tbody tr")
            assert await rows.count() == 2
            assert "RE-2026-0815" in await rows.nth(0).inner_text()
            assert "abgelehnt" in await rows.nth(0).inner_text()
            assert "123456XX" in await rows.nth(1).inner_text()
        finally:
            await browser.close()
    assert csp_violations == []

    # The accepted invoice went on to Stadt Koblenz's Behördenpostfach (the Postfach's developer view).
    async with httpx.AsyncClient(base_url=base) as http:
        box: dict[str, object] = {}
        for _ in range(100):
            box = (await http.get(f"/_emulator/postfach/mailboxes/{behoerdenpostfach_uuid(KOBLENZ_ARS)}"
                                  "/messages")).json()
            if box.get("totalCount"):
                break
            await asyncio.sleep(0.1)
    assert box["totalCount"] == 1
    assert "123456XX" in box["messages"][0]["title"]  # type: ignore[index]
