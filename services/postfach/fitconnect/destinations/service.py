"""Destinations: loading them for an operation, describing them as the Submission API does (v1 ``services``,
v2 ``publicServices``), and the seed written at start-up and after each reset."""

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.postfach.fitconnect.destinations import seed
from services.postfach.fitconnect.keys import ENC, SIG
from services.postfach.fitconnect.models import FcClient, FcDestination
from services.postfach.fitconnect.problems import fc_problem, not_found
from services.postfach.fitconnect.state import FitConnect

PRIVATE_CONTACT_FIELDS = ("technicalContactEmail",)


async def get_destination(session: AsyncSession, destination_id: str) -> FcDestination:
    destination = await session.get(FcDestination, destination_id)
    if destination is None:
        raise not_found("destination", destination_id)
    return destination


async def active_destination(session: AsyncSession, fc: FitConnect, destination_id: str) -> FcDestination:
    destination = await get_destination(session, destination_id)
    # Emulator faults armed for this destination (403, 429, 5xx on demand) fire on every operation touching it.
    await fc.runtime.faults.check(f"fitconnect.destination.{destination_id}")
    if destination.status != "active":
        raise fc_problem(422, "destination-state-invalid", f"The destination {destination_id} is "
                         f"{destination.status}, not active.")
    return destination


async def describe(session: AsyncSession, fc: FitConnect, destination: FcDestination, version: str,
                   *, for_subscriber: bool = False) -> dict[str, Any]:
    enc = await fc.keys.get(destination.destination_id, ENC, session)
    services_key = "publicServices" if version == "v2" else "services"
    body: dict[str, Any] = {
        "destinationId": destination.destination_id,
        "name": destination.name,
        "status": destination.status,
        "encryptionKid": enc.kid if enc else None,
        "metadataVersions": destination.metadata_versions,
        services_key: destination.public_services,
        "contactInformation": {k: v for k, v in destination.contact_information.items()
                               if k not in PRIVATE_CONTACT_FIELDS},
        "replyChannels": destination.reply_channels,
    }
    if for_subscriber:
        # The secret is write-only: a subscriber sees that one is set, never its value.
        body["callback"] = ({"url": destination.callback_url, "secretSet": destination.callback_secret is not None}
                            if destination.callback_url else None)
    return body


async def public_keys(session: AsyncSession, fc: FitConnect, destination_id: str) -> list[dict[str, Any]]:
    keys = [await fc.keys.get(destination_id, purpose, session) for purpose in (ENC, SIG)]
    return [k.public_jwk() for k in keys if k is not None]


async def populate(session: AsyncSession, fc: FitConnect, now: dt.datetime) -> None:
    """Insert the seeded destinations and clients that are missing (idempotent)."""
    existing = set((await session.scalars(select(FcDestination.destination_id))).all())
    clients = set((await session.scalars(select(FcClient.client_id))).all())
    for ars, authority, slug in seed.AUTHORITIES:
        destination_id = seed.destination_id_for(ars)
        if destination_id not in existing:
            session.add(FcDestination(
                destination_id=destination_id, name=f"{authority}, Bürgerbüro", status="active",
                key_bits=fc.settings.key_bits, ars=ars, public_services=seed.public_services(ars),
                contact_information=seed.contact_information(authority, slug),
                metadata_versions=seed.METADATA_VERSIONS, reply_channels=seed.REPLY_CHANNELS,
                callback_url=None, callback_secret=None, forced_outcome=None, seeded=True, created_at=now))
        client_id, secret = seed.subscriber_for(slug)
        if client_id not in clients:
            session.add(FcClient(client_id=client_id, client_secret=secret, role="subscriber",
                                 name=f"Fachverfahren {authority}", destinations=[destination_id], seeded=True,
                                 created_at=now))
    for (client_id, secret, name), role in ((seed.SENDER_CLIENT, "sender"), (seed.UNLINKED_SUBSCRIBER, "subscriber")):
        if client_id not in clients:
            session.add(FcClient(client_id=client_id, client_secret=secret, role=role, name=name, destinations=[],
                                 seeded=True, created_at=now))
