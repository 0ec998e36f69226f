"""Destination endpoints of the Submission API (and the same under the destination API base, where newer
clients look): the destination, its public keys one by one and as a JWK Set, and the subscriber's PATCH for the
callback and the status."""

import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from kit.db import SessionDep
from services.postfach.fitconnect.destinations.service import describe, get_destination, public_keys
from services.postfach.fitconnect.oauth import Principal, PrincipalDep, current_principal
from services.postfach.fitconnect.problems import fc_problem
from services.postfach.fitconnect.schemas import DestinationV1, DestinationV2, KeySet, PublicKey
from services.postfach.fitconnect.state import DESTINATION_API, SUBMISSION_API, FitConnectDep
from services.postfach.fitconnect.submissions.schemas import parse

log = logging.getLogger("basisdienste.postfach.fitconnect")


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    secret: str = Field(min_length=32, max_length=200)


class DestinationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(None, pattern="^(active|inactive)$")
    callback: CallbackIn | None = None


def _check_callback_url(url: str) -> None:
    parts = urlsplit(url)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    # FIT-Connect requires HTTPS; plain HTTP is allowed for receivers on this machine (tests, development).
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise fc_problem(422, "validation-error", "The callback URL must be https:// (http:// only for loopback).")


def router_for(base: str, version: str) -> APIRouter:
    router = APIRouter(prefix=f"{base}/{version}", tags=[f"FIT-Connect Submission API {version}"])
    tag = f"{'dest' if base == DESTINATION_API else 'sub'}_{version}"
    destination_model = DestinationV2 if version == "v2" else DestinationV1

    async def _note_anonymous(request: Request, session: SessionDep, fc: FitConnectDep) -> Principal | None:
        if "authorization" in request.headers:
            return await current_principal(request, session, fc)
        # Destinations and their public keys are public (the routing API publishes them too), but the Submission
        # API expects a token: fitconnect-client fetches keys without one.
        log.warning("FIT-Connect client quirk: %s fetched without Authorization (tolerated)", request.url.path)
        return None

    @router.get("/destinations/{destination_id}", name=f"fitconnect_{tag}_get_destination",
                response_model=destination_model, response_model_exclude_unset=True)
    async def get(destination_id: str, request: Request, session: SessionDep, fc: FitConnectDep) -> dict[str, Any]:
        principal = await _note_anonymous(request, session, fc)
        destination = await get_destination(session, destination_id)
        # Its own subscriber also sees the callback URL (never the secret).
        mine = principal is not None and destination_id in principal.destinations
        return await describe(session, fc, destination, version, for_subscriber=mine)

    @router.get("/destinations/{destination_id}/keys", name=f"fitconnect_{tag}_destination_jwks", response_model=KeySet)
    async def jwks(destination_id: str, request: Request, session: SessionDep, fc: FitConnectDep) -> dict[str, Any]:
        await _note_anonymous(request, session, fc)
        await get_destination(session, destination_id)
        return {"keys": await public_keys(session, fc, destination_id)}

    @router.get("/destinations/{destination_id}/keys/{kid}", name=f"fitconnect_{tag}_destination_key",
                response_model=PublicKey)
    async def key(destination_id: str, kid: str, request: Request, session: SessionDep,
                  fc: FitConnectDep) -> dict[str, Any]:
        await _note_anonymous(request, session, fc)
        await get_destination(session, destination_id)
        for jwk in await public_keys(session, fc, destination_id):
            if jwk["kid"] == kid:
                return jwk
        raise fc_problem(404, "key-not-found", f"The destination has no key {kid}.")

    @router.patch("/destinations/{destination_id}", name=f"fitconnect_{tag}_patch_destination",
                  response_model=destination_model, response_model_exclude_unset=True)
    async def patch(destination_id: str, request: Request, principal: PrincipalDep, session: SessionDep,
                    fc: FitConnectDep) -> dict[str, Any]:
        """The destination's subscriber sets its status or its callback (the secret is write-only)."""
        destination = await get_destination(session, destination_id)
        principal.require_subscriber_of(destination_id)
        body = await parse(request, DestinationPatch)
        if body.status is not None:
            destination.status = body.status
        if body.callback is not None:
            _check_callback_url(body.callback.url)
            destination.callback_url, destination.callback_secret = body.callback.url, body.callback.secret
        return await describe(session, fc, destination, version, for_subscriber=True)

    return router


routers = [router_for(base, v) for base in (SUBMISSION_API, DESTINATION_API) for v in ("v1", "v2")]
