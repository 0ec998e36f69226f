"""Queries for originators (online services) and their endpoints (offices)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.bezahlplattform.models import Endpoint, Originator


async def get_originator(session: AsyncSession, originator_id: str) -> Originator | None:
    return await session.get(Originator, originator_id)


async def get_endpoint(session: AsyncSession, originator_id: str, endpoint_id: str) -> Endpoint | None:
    return await session.get(Endpoint, (originator_id, endpoint_id))


async def list_originators(session: AsyncSession) -> list[Originator]:
    return list((await session.scalars(select(Originator).order_by(Originator.id))).all())


async def list_endpoints(session: AsyncSession, originator_id: str | None = None) -> list[Endpoint]:
    query = select(Endpoint).order_by(Endpoint.originator_id, Endpoint.id)
    if originator_id is not None:
        query = query.where(Endpoint.originator_id == originator_id)
    return list((await session.scalars(query)).all())


async def endpoints_at(session: AsyncSession, endpoint_id: str) -> list[Endpoint]:
    return list((await session.scalars(select(Endpoint).where(Endpoint.id == endpoint_id))).all())


def describe_originator(originator: Originator, endpoints: list[Endpoint]) -> dict[str, object]:
    return {
        "originatorId": originator.id,
        "name": originator.name,
        "basic": {"username": originator.basic_username, "password": originator.basic_password},
        "oauthClients": originator.oauth_clients,
        "webhookUrl": originator.webhook_url,
        "webhookSecret": originator.webhook_secret,
        "endpoints": [describe_endpoint(e) for e in endpoints],
    }


def describe_endpoint(endpoint: Endpoint) -> dict[str, object]:
    return {
        "endpointId": endpoint.id, "name": endpoint.name, "serviceName": endpoint.service_name,
        "kassenzeichenPrefix": endpoint.kassenzeichen_prefix, "bookingDefaults": endpoint.booking_defaults,
        "requiredBookingKeys": endpoint.required_booking_keys, "methods": endpoint.methods,
        "iban": endpoint.iban, "bic": endpoint.bic,
    }
