"""The registry of receiving authorities by Leitweg-ID and of the sender addresses of the mail channel: seed data
and queries. The seeded authorities are the ones whose Behördenpostfach the Postfach seeds (contract C1)."""

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rechnungseingang.models import Authority, LeitwegId, MailSender
from services.rechnungseingang.platform.leitweg import with_check_number

# (ARS, name, OAuth client that may read its invoices) — the Behördenpostfächer the Postfach seeds.
SEED_AUTHORITIES: tuple[tuple[str, str, str | None], ...] = (
    ("071110000000", "Stadt Koblenz", "demo-fachverfahren"),
    ("073150000000", "Stadt Mainz", "demo-fachverfahren-web"),
    ("072110000000", "Stadt Trier", None),
    ("071370000000", "Landkreis Mayen-Koblenz", None),
)
# One Leitweg-ID per authority: the ARS as coarse address, Fachbereich 0001, the computed check number.
SEED_LEITWEG_IDS: tuple[tuple[str, str, str], ...] = tuple(
    (with_check_number(f"{ars}-0001"), ars, "Zentrale Rechnungsstelle") for ars, _, _ in SEED_AUTHORITIES)
# The mail channel's registered sender: the Musterbau GmbH of the Nutzerkonto seed.
SEED_SENDERS: tuple[tuple[str, str, str], ...] = (
    ("rechnung@musterbau.example", "Musterbau GmbH", "musterbau-gmbh"),
)


async def populate(session: AsyncSession, now: dt.datetime) -> None:
    """Insert the seeded rows that are missing (idempotent)."""
    known_ars = set((await session.scalars(select(Authority.ars))).all())
    for ars, name, client_id in SEED_AUTHORITIES:
        if ars not in known_ars:
            session.add(Authority(ars=ars, name=name, client_id=client_id, seeded=True, created_at=now))
    await session.flush()
    known_ids = set((await session.scalars(select(LeitwegId.leitweg_id))).all())
    for leitweg_id, ars, description in SEED_LEITWEG_IDS:
        if leitweg_id not in known_ids:
            session.add(LeitwegId(leitweg_id=leitweg_id, ars=ars, description=description, seeded=True,
                                  created_at=now))
    for address, name, identity in SEED_SENDERS:
        if await session.get(MailSender, address) is None:
            session.add(MailSender(address=address, name=name, supplier_sub=None, supplier_identity=identity,
                                   seeded=True, created_at=now))


async def authority_for(session: AsyncSession, leitweg_id: str) -> Authority | None:
    row = await session.get(LeitwegId, leitweg_id)
    return await session.get(Authority, row.ars) if row is not None else None


async def get_authority(session: AsyncSession, ars: str) -> Authority | None:
    return await session.get(Authority, ars)


async def list_authorities(session: AsyncSession) -> list[tuple[Authority, list[str]]]:
    authorities = (await session.scalars(select(Authority).order_by(Authority.ars))).all()
    ids: dict[str, list[str]] = {}
    for row in (await session.scalars(select(LeitwegId).order_by(LeitwegId.leitweg_id))).all():
        ids.setdefault(row.ars, []).append(row.leitweg_id)
    return [(a, ids.get(a.ars, [])) for a in authorities]


def describe(authority: Authority, leitweg_ids: list[str], postfach_uuid: str) -> dict[str, Any]:
    return {"ars": authority.ars, "name": authority.name, "leitweg_ids": leitweg_ids,
            "behoerdenpostfach": postfach_uuid, "client_id": authority.client_id,
            "erp_webhook_url": authority.erp_webhook_url, "seeded": authority.seeded}


async def sender(session: AsyncSession, address: str) -> MailSender | None:
    return await session.get(MailSender, address.strip().lower())


async def list_senders(session: AsyncSession) -> list[MailSender]:
    return list((await session.scalars(select(MailSender).order_by(MailSender.address))).all())
