"""Route lookups: destinations that offer a LeiKa service in an area, each with its parameters and a
``destinationSignature`` (PS512 JWT by the delivery service's key, verifiable with its JWKS) so that an online
service can trust the destination id it got from the routing API."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.postfach.fitconnect import jose
from services.postfach.fitconnect.destinations import seed
from services.postfach.fitconnect.keys import ENC, SERVICE, SIG
from services.postfach.fitconnect.models import FcDestination
from services.postfach.fitconnect.state import FitConnect

LEIKA = "urn:de:fim:leika:leistung:"


def ags_of(ars: str) -> str:
    """The 8-digit Gemeindeschlüssel inside a 12-digit Regionalschlüssel (Land, RB, Kreis, Gemeinde)."""
    return ars[:5] + ars[9:]


def leika_urn(key: str) -> str:
    return key if key.startswith("urn:") else LEIKA + key


async def find_routes(session: AsyncSession, fc: FitConnect, leika_key: str, *, ars: str | None, ags: str | None,
                      area_id: str | None) -> list[dict[str, Any]]:
    urn = leika_urn(leika_key)
    rows = (await session.scalars(select(FcDestination).where(FcDestination.status == "active",
                                                              FcDestination.ars.is_not(None))
                                  .order_by(FcDestination.name))).all()
    routes = []
    for destination in rows:
        assert destination.ars is not None
        in_area = (destination.ars == ars if ars else ags_of(destination.ars) == ags if ags
                   else destination.ars == area_id)
        services = [s for s in destination.public_services if s["identifier"] == urn]
        if in_area and services:
            routes.append(await _route(session, fc, destination, urn, services[0]))
    return routes


async def _route(session: AsyncSession, fc: FitConnect, destination: FcDestination, urn: str,
                 service: dict[str, Any]) -> dict[str, Any]:
    enc = await fc.keys.get(destination.destination_id, ENC, session)
    signer = await fc.keys.get(SERVICE, SIG, session)
    assert signer is not None
    now = int(fc.runtime.clock.timestamp())
    signature = jose.sign_jws({
        "submissionHost": fc.base_url.split("://", 1)[-1].split("/", 1)[0],
        "iss": fc.submission_api_url, "iat": now, "jti": str(uuid.uuid4()),
        "destinationId": destination.destination_id,
        "services": [{"gebietIDs": [destination.ars], "leistungIDs": [urn]}],
    }, signer.private_key, signer.kid, typ="JWT")
    return {
        "destinationId": destination.destination_id,
        "destinationName": destination.name,
        "destinationLogo": None,
        "destinationSignature": signature,
        "destinationParameters": {
            "submissionUrl": fc.submission_api_url,
            "status": destination.status,
            "encryptionKid": enc.kid if enc else None,
            "publicKeys": {"keys": [enc.public_jwk()] if enc else []},
            "metadataVersions": destination.metadata_versions,
            "replyChannels": destination.reply_channels,
            "submissionSchemas": service["submissionSchemas"],
        },
    }


def areas(search: list[str]) -> list[dict[str, str]]:
    found = []
    for ars, authority, _ in seed.AUTHORITIES:
        kind = "Landkreis" if authority.startswith("Landkreis") else "Stadt"
        if not search or any(term.lower().rstrip("*") in authority.lower() or term == ars for term in search):
            found.append({"id": ars, "name": authority, "type": kind})
    return found
