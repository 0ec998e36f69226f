"""The German inbox page over HTTP, as a browser without JavaScript uses it: the Postfach logs the citizen in as its
own OIDC client of the Nutzerkonto, keeps the session server-side, lists and shows messages with the Bekanntgabe
date, locks a message above the session's level (step-up), downloads, replies, and logs out."""

from urllib.parse import parse_qs, urlsplit

import httpx
import lxml.html
import pytest

from gateway.app import Gateway
from kit.zbp import send_status
from tests.conftest import client_for
from tests.postfach.mailbox.tools import KOBLENZ, author, bearer, credentials, delivered, postfach_now, service_token

pytestmark = pytest.mark.asyncio(loop_scope="module")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def page_login(client: httpx.AsyncClient, *, start: str = "/postfach/postkorb/anmelden?stufe=1",
                     identity: str = "erika-mustermann", method: str = "Benutzername") -> httpx.Response:
    """Follow the inbox page's login through the Nutzerkonto's login page; answers the page landed on."""
    to_idp = await client.get(start)
    assert to_idp.status_code == 303, to_idp.text
    authorize = urlsplit(to_idp.headers["location"])
    assert authorize.path == "/nutzerkonto/authorize"
    query = parse_qs(authorize.query)
    assert query["scope"] == ["openid bundid"] and query["code_challenge_method"] == ["S256"]
    login_page = await client.get(path_of(to_idp.headers["location"]))
    assert login_page.status_code == 303, login_page.text
    page = login_page.headers["location"]
    answer = await client.post(page, data={"identity": identity, "method": method, "action": "login"})
    assert answer.status_code == 303, answer.text
    back = await client.get(path_of(answer.headers["location"]))
    assert back.status_code == 303, back.text
    assert "postkorb_sitzung=" in back.headers["set-cookie"] and "HttpOnly" in back.headers["set-cookie"]
    landed = await client.get(path_of(back.headers["location"]))
    return landed


async def test_login_list_read_download_reply_logout(suite: Gateway, client: httpx.AsyncClient) -> None:
    application = "0f8fad5b-d9cb-469f-a165-70867728950e"
    status = await send_status(credentials(suite), author(), {
        "applicationId": application, "status": "ACTION_REQUIRED", "publicServiceName": {"de": "Hundesteuer"},
        "senderName": "Stadt Koblenz", "createdDate": "2026-03-02T09:00:00+01:00",
        "statusDetails": {"de": "Bitte Nachweis einreichen"}}, now=postfach_now(suite))
    assert status.status_code == 201, status.text
    sent = await delivered(suite, title="Bescheid über die Hundesteuer", replyAddress=KOBLENZ,
                           applicationId=application,
                           attachments=[("Bescheid.pdf", b"%PDF-1.7 hund", "application/pdf")])
    locked = await delivered(suite, title="Einkommensteuerbescheid", stork_qaa_level=4)
    async with client_for(suite) as browser:
        start = await browser.get("/postfach/postkorb")
        assert start.status_code == 200 and "Mit dem Nutzerkonto anmelden" in start.text
        csp = start.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert start.headers["content-language"] == "de"

        inbox = await page_login(browser)
        assert inbox.status_code == 200
        html = lxml.html.fromstring(inbox.text)
        assert html.get("lang") == "de"
        rows = html.xpath("//tbody/tr")
        assert len(rows) == 2
        texts = [" ".join(r.text_content().split()) for r in rows]
        assert any("Einkommensteuerbescheid" in t and "Gesperrt: Vertrauensniveau 4 nötig" in t for t in texts)
        assert "Erika Mustermann" in html.xpath("string(//p[@class='hint'])")
        assert any("Bescheid über die Hundesteuer" in t and "Stadt Koblenz" in t and "als bekannt gegeben" in t
                   for t in texts)

        message = await browser.get(f"/postfach/postkorb/nachrichten/{sent['messageId']}")
        assert message.status_code == 200
        page = lxml.html.fromstring(message.text)
        assert "Sehr geehrte Frau Mustermann" in page.xpath("string(//div[@class='inhalt'])")
        assert "§ 9 Abs. 1 OZG" in page.xpath("string(//p[@class='bekanntgabe'])")
        progress = " ".join(page.xpath("string(//ol[@class='status'])").split())
        assert "Ihre Mitwirkung ist erforderlich" in progress and "Bitte Nachweis einreichen" in progress
        [link] = page.xpath("//a[@download]")
        download = await browser.get(link.get("href"))
        assert download.status_code == 200 and download.content == b"%PDF-1.7 hund"

        refused = await browser.get(f"/postfach/postkorb/nachrichten/{locked['messageId']}")
        assert refused.status_code == 403 and "Mit höherem Vertrauensniveau anmelden" in refused.text
        assert "Einkommensteuerbescheid" in refused.text and "Sehr geehrte" not in refused.text

        csrf = page.xpath("string(//form[contains(@action, 'antwort')]/input[@name='csrf']/@value)")
        forged = await browser.post(f"/postfach/postkorb/nachrichten/{sent['messageId']}/antwort",
                                    data={"inhalt": "Gefälscht", "csrf": "falsch"})
        assert forged.status_code == 403
        replied = await browser.post(f"/postfach/postkorb/nachrichten/{sent['messageId']}/antwort",
                                     data={"inhalt": "Ich erhebe Widerspruch.", "csrf": csrf})
        assert replied.status_code == 200 and "Ihre Antwort wurde gesendet." in replied.text
        fachverfahren = bearer(await service_token(client, "demo-fachverfahren"))
        koblenz = (await client.get(f"/postfach/api/v6/mailboxes/{KOBLENZ}/messages", headers=fachverfahren)).json()
        assert [m["title"] for m in koblenz["messages"]] == ["AW: Bescheid über die Hundesteuer"]

        # Step-up: log in again at level 4 and land on the message that was locked.
        stepped = await page_login(browser, start=f"/postfach/postkorb/anmelden?stufe=4&weiter=/postfach/postkorb/"
                                                  f"nachrichten/{locked['messageId']}", method="eID")
        assert stepped.status_code == 200 and "Sehr geehrte Frau Mustermann" in stepped.text

        out = await browser.post("/postfach/postkorb/abmelden", data={"csrf": lxml.html.fromstring(
            stepped.text).xpath("string(//input[@name='csrf']/@value)")})
        assert out.status_code == 303
        again = await browser.get("/postfach/postkorb")
        assert "Mit dem Nutzerkonto anmelden" in again.text


async def test_another_persons_message_is_not_found_on_the_page(suite: Gateway, client: httpx.AsyncClient) -> None:
    erikas = await delivered(suite, title="Nur für Erika")
    async with client_for(suite) as browser:
        await page_login(browser, identity="max-mustermann")
        answer = await browser.get(f"/postfach/postkorb/nachrichten/{erikas['messageId']}")
        assert answer.status_code == 404 and "Nur für Erika" not in answer.text
