"""One login in real headless Chromium against ``basisdienste up`` on a real port: an OIDC authorization request
of the seeded public client (code flow with PKCE) opens the login page, the citizen first picks a method that
is too weak (step-up), then Erika Mustermann with the Online-Ausweis, and the browser lands at the client's
redirect URI with a code that the token endpoint exchanges."""

import base64
import hashlib
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from playwright.async_api import Route, async_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium

CLIENT_ID = "demo-onlineantrag"
REDIRECT_URI = "http://127.0.0.1:5173/callback"  # registered for the seeded client; the browser never reaches it

pytestmark = [pytest.mark.slow, needs_chromium]


async def test_erika_logs_in_with_the_online_ausweis_in_chromium(running_suite: str, tmp_path: Path) -> None:
    base = running_suite
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state = secrets.token_urlsafe(12)
    authorize = f"{base}/nutzerkonto/authorize?" + urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": "openid profile",
        "state": state, "nonce": "n-0S6_WzA2Mj", "code_challenge": challenge, "code_challenge_method": "S256",
        "acr_values": "STORK-QAA-Level-3"})
    arrived: list[str] = []

    async def online_service(route: Route) -> None:
        # Stands in for the online service at its redirect URI: note where the browser came back to.
        arrived.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html; charset=utf-8",
                            body="<!doctype html><html lang='de'><title>Zurück beim Dienst</title><p>Angemeldet.</p>")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="de-DE", viewport={"width": 1000, "height": 900})
            await page.route("http://127.0.0.1:5173/**", online_service)
            await page.goto(authorize)
            assert "/nutzerkonto/login/" in page.url
            assert await page.title() == ("Anmelden bei Demo-Onlineantrag (Stadt Koblenz) \N{EN DASH} "
                                          "Nutzerkonto (Testumgebung)")
            await page.screenshot(path=str(tmp_path / "login.png"), full_page=True)

            # Too weak for level 3: the page stays, says why, and moves keyboard focus to the explanation.
            await page.get_by_label("Erika Mustermann").check()
            await page.get_by_label("Benutzername und Passwort").check()
            await page.get_by_role("button", name="Anmelden").click()
            alert = page.get_by_role("alert")
            assert "erreicht nur normal (STORK-QAA-Level-1)" in await alert.inner_text()
            assert await page.evaluate("document.activeElement.getAttribute('role')") == "alert"
            assert not arrived
            await page.screenshot(path=str(tmp_path / "step-up.png"), full_page=True)

            await page.get_by_label("Online-Ausweis (eID)").check()
            await page.get_by_role("button", name="Anmelden").click()
            await page.wait_for_url("http://127.0.0.1:5173/callback**")
            assert await page.title() == "Zurück beim Dienst"
        finally:
            await browser.close()

    assert len(arrived) == 1
    answer = {k: v[0] for k, v in parse_qs(urlsplit(arrived[0]).query).items()}
    assert answer["state"] == state and answer["iss"] == f"{base}/nutzerkonto"
    async with httpx.AsyncClient(base_url=base) as http:
        tokens = await http.post("/nutzerkonto/token", data={
            "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    claims = jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})
    assert claims["acr"] == "STORK-QAA-Level-4" and claims["nonce"] == "n-0S6_WzA2Mj"


@pytest.mark.parametrize(("level", "person", "method", "reached"), [
    (1, "Max Mustermann", "Benutzername und Passwort", 1),
    (3, "Musterbau GmbH", "ELSTER-Zertifikat", 3),
    (4, "Élodie Martin", "EU-eID (eIDAS)", 4),
])
async def test_logins_at_each_trust_level_in_chromium(running_suite: str, level: int, person: str, method: str,
                                                      reached: int) -> None:
    base = running_suite
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    authorize = f"{base}/nutzerkonto/authorize?" + urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": "openid",
        "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
        "acr_values": f"STORK-QAA-Level-{level}"})
    arrived: list[str] = []

    async def online_service(route: Route) -> None:
        arrived.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>ok</title>")

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="de-DE")
            await page.route("http://127.0.0.1:5173/**", online_service)
            await page.goto(authorize)
            await page.get_by_label(person, exact=False).check()
            await page.get_by_label(method, exact=False).check()
            await page.get_by_role("button", name="Anmelden").click()
            await page.wait_for_url("http://127.0.0.1:5173/callback**")
        finally:
            await browser.close()
    code = parse_qs(urlsplit(arrived[0]).query)["code"][0]
    async with httpx.AsyncClient(base_url=base) as http:
        tokens = await http.post("/nutzerkonto/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "client_id": CLIENT_ID,
            "code_verifier": verifier})
    claims = jwt.decode(tokens.json()["id_token"], options={"verify_signature": False})
    assert claims["acr"] == f"STORK-QAA-Level-{reached}"
