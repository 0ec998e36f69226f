"""Helpers for the Bescheid tests: tokens of the seeded Fachverfahren client, a valid notice body, postkorb
handles of the seeded identities."""

import uuid
from typing import Any

import httpx

POSTKORB_NAMESPACE = uuid.UUID("6f1c8f4e-2b7a-5e3d-9a41-0c2d6b8e7f10")
CLIENT_ID = "demo-fachverfahren"
CLIENT_SECRET = "demo-fachverfahren-secret"


def postkorb_handle(identity_id: str) -> str:
    return str(uuid.uuid5(POSTKORB_NAMESPACE, identity_id))


async def token(client: httpx.AsyncClient, audience: str = "bescheid", *, client_id: str = CLIENT_ID,
                secret: str = CLIENT_SECRET) -> str:
    response = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials",
                                                              "resource": audience}, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def auth(client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token(client)}"}


def notice(identity: str = "erika-mustermann", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "authority": "stadt-koblenz", "template": "stadt-koblenz/bewohnerparkausweis",
        "aktenzeichen": "32.1-BPA-2026-0042", "date": "2026-11-22",
        "addressee": {"postkorbHandle": postkorb_handle(identity), "name": "Erika Mustermann",
                      "address": ["Heidestraße 17", "56068 Koblenz"]},
        "tenor": "Ihnen wird ein Bewohnerparkausweis für die Zone A erteilt.",
        "begruendung": "Sie sind in der Bewohnerparkzone A mit Hauptwohnsitz gemeldet (§ 45 Abs. 1b StVO).",
        "rechtsbehelfsbelehrung": "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch "
                                  "bei der Stadtverwaltung Koblenz erhoben werden.",
        "fees": [{"description": "Gebühr Bewohnerparkausweis (12 Monate)", "amount": "30.70"}],
        "kassenzeichen": "5.1234.5678.9",
        "fields": {"kennzeichen": "KO-EM 123", "zone": "A", "gueltigVon": "01.12.2026", "gueltigBis": "30.11.2027"},
    }
    body.update(overrides)
    return body
