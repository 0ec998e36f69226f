"""A supplier posting an e-invoice (XRechnung UBL or CII, ZUGFeRD PDF) to the central intake with the token of a
company login (Mein Unternehmenskonto, ELSTER), and reading the validation report it gets back."""

from typing import Any

import httpx

from harness.actors.browser import PageError
from harness.actors.citizen import Tokens, oidc_login

API = "/rechnungseingang/api/v1"
# The seeded confidential web client a supplier's software logs in with (``/_emulator/seed``).
SUPPLIER_CLIENT = ("demo-fachverfahren-web", "demo-fachverfahren-web-secret")
SUPPLIER_CALLBACK = "http://localhost:8080/callback"


def supplier_login(http: httpx.Client, identity: str = "musterbau-gmbh") -> Tokens:
    client_id, secret = SUPPLIER_CLIENT
    return oidc_login(http, identity=identity, method="Elster", client_id=client_id, client_secret=secret,
                      redirect_uri=SUPPLIER_CALLBACK, resource="rechnungseingang")


def post_invoice(http: httpx.Client, tokens: Tokens, document: bytes, content_type: str = "application/xml",
                 **headers: str) -> dict[str, Any]:
    """Upload one invoice; answers the intake's receipt (its id, status and report links)."""
    answer = http.post(f"{API}/invoices", content=document,
                       headers={**tokens.bearer, "Content-Type": content_type, **headers})
    if answer.status_code not in (200, 201, 202):
        raise PageError(f"invoice refused: {answer.status_code} {answer.text[:500]}")
    return answer.json()  # type: ignore[no-any-return]


def invoice(http: httpx.Client, tokens: Tokens, invoice_id: str) -> dict[str, Any]:
    answer = http.get(f"{API}/invoices/{invoice_id}", headers=tokens.bearer)
    answer.raise_for_status()
    return answer.json()  # type: ignore[no-any-return]
