"""The seeded online services and offices: Stadt Koblenz (ARS 071110000000) and Stadt Mainz (073150000000) with
the fees their online services take. Test credentials only; ``GET /_emulator/seed`` lists them."""

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.bezahlplattform.models import Endpoint, Originator

ALL_METHODS = ["creditcard", "paypal", "giropay", "sepa", "transfer"]
DEMO_CLIENTS = ["demo-fachverfahren", "demo-fachverfahren-web"]


@dataclass(frozen=True)
class Office:
    ars: str
    name: str
    iban: str
    bic: str
    prefix: str  # Kassenzeichen prefix


@dataclass(frozen=True)
class OnlineService:
    id: str
    name: str
    haushaltsstelle: str
    required: list[str] = field(default_factory=lambda: ["Haushaltsstelle"])


KOBLENZ = Office("071110000000", "Stadt Koblenz", "DE02570501200000012345", "MALADE51KOB", "711")
MAINZ = Office("073150000000", "Stadt Mainz", "DE89550500000000054321", "MALADE51MNZ", "731")

SERVICES: dict[Office, list[OnlineService]] = {
    KOBLENZ: [
        OnlineService("bewohnerparkausweis", "Bewohnerparkausweis", "1.2.2.01.431100"),
        OnlineService("fuehrungszeugnis", "Führungszeugnis-Gebühr", "1.1.2.01.431100",
                      required=["Haushaltsstelle", "Objektnummer"]),
        OnlineService("hundesteuer", "Hundesteuer-Anmeldung", "6.1.1.01.403200"),
        OnlineService("meldebescheinigung", "Meldebescheinigung", "1.2.2.02.431100"),
    ],
    MAINZ: [
        OnlineService("bewohnerparkausweis", "Bewohnerparkausweis", "54.10.431100"),
    ],
}


def basic_username(service_id: str, office: Office) -> str:
    return f"{service_id}-{office.ars}"


async def populate(session: AsyncSession, now: dt.datetime) -> None:
    """Insert the seed unless present (runs at startup and after every reset)."""
    existing = set((await session.scalars(select(Originator.id))).all())
    for office, services in SERVICES.items():
        for service in services:
            originator_id = service.id if office is KOBLENZ else f"{service.id}-mainz"
            if originator_id in existing:
                continue
            session.add(Originator(
                id=originator_id, name=f"{service.name} ({office.name})",
                basic_username=basic_username(service.id, office), basic_password=f"{originator_id}-secret",
                oauth_clients=list(DEMO_CLIENTS), webhook_url=None, webhook_secret=f"whsec_{originator_id}_test",
                seeded=True, created_at=now))
            await session.flush()
            session.add(Endpoint(
                originator_id=originator_id, id=office.ars, name=office.name, service_name=service.name,
                kassenzeichen_prefix=office.prefix, booking_defaults={"Haushaltsstelle": service.haushaltsstelle}
                if "Objektnummer" not in service.required else {},
                required_booking_keys=list(service.required), methods=list(ALL_METHODS), iban=office.iban,
                bic=office.bic, created_at=now))
