"""The inbox page in real headless Chromium against ``basisdienste up``: Erika logs in through the Nutzerkonto,
sees her notice with its Bekanntgabe date, opens it, downloads the attached PDF, and replies."""

import datetime as dt
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright

from kit.zbp import ZbpAuthor, message_multipart
from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.postfach.mailbox.tools import ERIKA, KOBLENZ

pytestmark = [pytest.mark.slow, needs_chromium]
PDF = b"%PDF-1.4\n% Bescheid (Test)\n" + b"0" * 2000


async def send(base: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        clock = (await http.get("/_emulator/clock")).json()
        token = (await http.post("/nutzerkonto/token", data={"grant_type": "client_credentials",
                                                              "resource": "postfach"},
                                 auth=("bescheid", "bescheid-secret"))).json()["access_token"]
        fields = {"mailboxUuid": ERIKA, "stork_qaa_level": 3, "sender": "Stadt Koblenz",
                  "title": "Bescheid über Ihren Bewohnerparkausweis", "content": "Sehr geehrte Frau Mustermann,\n"
                  "Ihr Bewohnerparkausweis ist genehmigt.", "replyAddress": KOBLENZ}
        parts = message_multipart(ZbpAuthor.generate("Stadt Koblenz"), fields,
                                  [("Parkausweis.pdf", PDF, "application/pdf")],
                                  now=dt.datetime.fromisoformat(clock["now"]))
        answer = await http.post("/postfach/api/v6/messages", files=parts, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]


async def test_erika_reads_downloads_and_replies_in_chromium(running_suite: str, tmp_path: Path) -> None:
    base = running_suite
    sent = await send(base)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(locale="de-DE", accept_downloads=True)
            page = await context.new_page()
            await page.goto(f"{base}/postfach/postkorb")
            await page.get_by_role("link", name="Mit dem Nutzerkonto anmelden").click()
            assert "/nutzerkonto/login/" in page.url
            await page.get_by_label("Erika Mustermann").check()
            await page.get_by_label("ELSTER-Zertifikat").check()
            await page.get_by_role("button", name="Anmelden").click()
            await page.wait_for_url(f"{base}/postfach/postkorb")
            assert await page.title() == "Ihr Postfach \N{EN DASH} Postfach (Testumgebung)"
            row = page.get_by_role("row", name="Bescheid über Ihren Bewohnerparkausweis")
            assert "als bekannt gegeben" in await row.inner_text()
            await page.screenshot(path=str(tmp_path / "postkorb.png"), full_page=True)

            await page.get_by_role("link", name="Bescheid über Ihren Bewohnerparkausweis").click()
            await page.wait_for_url(f"**/nachrichten/{sent['messageId']}")
            assert "Ihr Bewohnerparkausweis ist genehmigt." in await page.locator(".inhalt").inner_text()
            assert "§ 9 Abs. 1 OZG" in await page.locator(".bekanntgabe").inner_text()
            async with page.expect_download() as waiting:
                await page.get_by_role("link", name="Parkausweis.pdf").click()
            download = await waiting.value
            assert download.suggested_filename == "Parkausweis.pdf"
            assert Path(await download.path()).read_bytes() == PDF

            await page.get_by_label("Ihre Antwort an Stadt Koblenz").fill("Vielen Dank!")
            await page.get_by_role("button", name="Antwort senden").click()
            assert "Ihre Antwort wurde gesendet." in await page.get_by_role("status").inner_text()
            await page.screenshot(path=str(tmp_path / "nachricht.png"), full_page=True)
            cookies = await context.cookies()
            [session] = [c for c in cookies if c["name"] == "postkorb_sitzung"]
            assert session["httpOnly"] and session["secure"] and session["path"] == "/postfach/postkorb"
        finally:
            await browser.close()
    async with httpx.AsyncClient(base_url=base) as http:
        state = (await http.get(f"/_emulator/postfach/messages/{sent['messageId']}")).json()
        assert state["retrievedAt"] is not None
        mails = (await http.get("/_emulator/postfach/mails", params={"to": "erika.mustermann@example.org"})).json()
        assert mails and mails[0]["messageId"] == sent["messageId"]
