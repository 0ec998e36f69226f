"""Emulator controls of the OIDC provider (``/_emulator/nutzerkonto/...`` on the gateway): register clients,
and see and revoke what was issued — the tokens in the server-side log and the login sessions — without
touching the protocol endpoints."""

import datetime as dt
from typing import Any

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ColumnElement, and_, select, true

from kit.db import SessionDep
from kit.emulator import control_router
from kit.problems import Problem
from services.nutzerkonto.oidc import clients
from services.nutzerkonto.oidc.models import IssuedToken, OidcSession
from services.nutzerkonto.oidc.tokens import revoke

router = control_router()


@router.get("/clients", name="oidc_list_clients")
async def list_clients(session: SessionDep) -> list[dict[str, Any]]:
    """Every registered OAuth client with its test secret."""
    return [clients.describe(c) for c in await clients.list_clients(session)]


@router.post("/clients", name="oidc_register_client", status_code=201)
async def register_client(body: clients.ClientIn, session: SessionDep, request: Request) -> dict[str, Any]:
    """Register (or replace) a client; a confidential client without a secret gets a generated one."""
    request.app.state.oidc.clients.clear_after_commit(session)
    row = await clients.register(session, body, request.app.state.runtime.clock.now())
    return clients.describe(row)


@router.delete("/clients/{client_id}", name="oidc_delete_client", status_code=204)
async def delete_client(client_id: str, session: SessionDep, request: Request) -> Response:
    request.app.state.oidc.clients.clear_after_commit(session)
    if not await clients.delete_client(session, client_id):
        raise Problem(404, f"No client {client_id!r}.")
    return Response(status_code=204)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _token(row: IssuedToken, now: dt.datetime) -> dict[str, Any]:
    active = row.revoked_at is None and row.used_at is None and row.expires_at > now
    return {
        "jti": row.jti, "kind": row.kind, "client_id": row.client_id, "sub": row.subject,
        "identity_id": row.identity_id, "scope": row.scope, "aud": row.audiences, "sid": row.session_id,
        "family_id": row.family_id, "acr": row.acr, "issued_at": _iso(row.issued_at),
        "expires_at": _iso(row.expires_at), "rotated_at": _iso(row.used_at), "revoked_at": _iso(row.revoked_at),
        "revoked_reason": row.revoked_reason, "active": active,
    }


def _token_filter(client_id: str | None, identity_id: str | None, sid: str | None) -> ColumnElement[bool]:
    conditions = [c for c in (
        IssuedToken.client_id == client_id if client_id else None,
        IssuedToken.identity_id == identity_id if identity_id else None,
        IssuedToken.session_id == sid if sid else None,
    ) if c is not None]
    return and_(true(), *conditions)


@router.get("/tokens", name="oidc_list_tokens")
async def list_tokens(
    session: SessionDep, request: Request,
    client_id: str | None = None, identity_id: str | None = None, sid: str | None = None,
    limit: int = Query(200, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """The issued-token log, newest first: access, ID and refresh tokens (refresh values are never shown)."""
    now = request.app.state.runtime.clock.now()
    rows = await session.scalars(select(IssuedToken).where(_token_filter(client_id, identity_id, sid))
                                 .order_by(IssuedToken.issued_at.desc()).limit(limit))
    return [_token(r, now) for r in rows]


class RevokeCommand(BaseModel):
    """Revoke every live token that matches all the given fields (at least one)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"identity_id": "erika-mustermann"}]})

    client_id: str | None = None
    identity_id: str | None = None
    sid: str | None = Field(None, description="A login session (the ID token's sid)")

    @model_validator(mode="after")
    def _something(self) -> "RevokeCommand":
        if not (self.client_id or self.identity_id or self.sid):
            raise ValueError("name a client_id, an identity_id or a sid")
        return self


@router.post("/tokens/revoke", name="oidc_revoke_tokens")
async def revoke_tokens(body: RevokeCommand, session: SessionDep, request: Request) -> dict[str, int]:
    """Revoke tokens as an administrator would (a person blocked, a client compromised)."""
    now = request.app.state.runtime.clock.now()
    count = await revoke(session, _token_filter(body.client_id, body.identity_id, body.sid), now=now,
                         reason="emulator")
    return {"revoked": count}


@router.get("/sessions", name="oidc_list_sessions")
async def list_sessions(session: SessionDep, limit: int = Query(200, ge=1, le=1000)) -> list[dict[str, Any]]:
    """OIDC login sessions, newest first; a session ends by RP-initiated logout."""
    rows = await session.scalars(select(OidcSession).order_by(OidcSession.auth_time.desc()).limit(limit))
    return [{"sid": r.sid, "client_id": r.client_id, "identity_id": r.identity_id, "sub": r.subject,
             "level": r.level, "method": r.method, "auth_time": _iso(r.auth_time), "ended_at": _iso(r.ended_at),
             "active": r.ended_at is None} for r in rows]
