"""What the intake tests share: the testsuite corpus, a supplier's bearer token obtained as a supplier's own
software gets it (OIDC code flow with PKCE at the Nutzerkonto, logged in as Musterbau GmbH with Elster), an
authority's client-credentials token, and small invoice edits."""

import base64
import hashlib
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

# The shared folder beside the checkout (as the validation tests find it).
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "xrechnung"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/testdata/xrechnung")
UBL = CORPUS / "business-cases/standard/01.01a-INVOICE_ubl.xml"
CII = CORPUS / "business-cases/standard/01.01a-INVOICE_uncefact.xml"

KOBLENZ_ARS = "071110000000"
KOBLENZ_LEITWEG_ID = "071110000000-0001-33"
MAINZ_LEITWEG_ID = "073150000000-0001-77"
API = "/rechnungseingang/api/v1"
CONTROLS = "/_emulator/rechnungseingang"
WEB_CLIENT = ("demo-fachverfahren-web", "demo-fachverfahren-web-secret")
WEB_CALLBACK = "http://localhost:8080/callback"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.xml"))


def with_buyer_reference(xml: bytes, leitweg_id: str) -> bytes:
    """The invoice with another BT-10 (UBL cbc:BuyerReference, CII ram:BuyerReference)."""
    replaced, count = re.subn(rb"(<(?:cbc|ram):BuyerReference>)[^<]*(</(?:cbc|ram):BuyerReference>)",
                              rb"\g<1>" + leitweg_id.encode() + rb"\g<2>", xml, count=1)
    assert count == 1
    return replaced


def with_invoice_number(xml: bytes, number: str) -> bytes:
    replaced, count = re.subn(rb"(<cbc:ID>)[^<]*(</cbc:ID>)", rb"\g<1>" + number.encode() + rb"\g<2>", xml, count=1)
    assert count == 1
    return replaced


def koblenz_invoice(path: Path = UBL, number: str | None = None) -> bytes:
    xml = with_buyer_reference(path.read_bytes(), KOBLENZ_LEITWEG_ID)
    return with_invoice_number(xml, number) if number else xml


async def supplier_token(client: httpx.AsyncClient, identity: str = "musterbau-gmbh", method: str = "Elster") -> str:
    """An access token for the intake (resource rechnungseingang) of a company logged in at the Nutzerkonto."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    params = {"response_type": "code", "client_id": WEB_CLIENT[0], "redirect_uri": WEB_CALLBACK,
              "scope": "openid profile", "state": "s", "code_challenge": challenge, "code_challenge_method": "S256",
              "resource": "rechnungseingang"}
    start = await client.get("/nutzerkonto/authorize", params=params)
    assert start.status_code == 303, start.text
    page = start.headers["location"]
    answer = await client.post(page, data={"identity": identity, "method": method, "action": "login"})
    assert answer.status_code == 303, answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = await client.post("/nutzerkonto/token", auth=WEB_CLIENT, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": WEB_CALLBACK, "code_verifier": verifier})
    assert token.status_code == 200, token.text
    return str(token.json()["access_token"])


async def client_token(client: httpx.AsyncClient, client_id: str, secret: str, resource: str) -> str:
    answer = await client.post("/nutzerkonto/token", auth=(client_id, secret),
                               data={"grant_type": "client_credentials", "resource": resource})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def upload(client: httpx.AsyncClient, token: str, data: bytes, content_type: str = "application/xml",
                 **headers: str) -> httpx.Response:
    return await client.post(f"{API}/invoices", content=data,
                             headers={**bearer(token), "Content-Type": content_type, **headers})
