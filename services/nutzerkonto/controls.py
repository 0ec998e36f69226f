"""The Nutzerkonto's own emulator controls (reached as ``/_emulator/nutzerkonto/...`` on the gateway):
manage test identities, force the next login's outcome, rotate the signing key."""

from typing import Any, Literal

from fastapi import Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from kit.db import SessionDep
from kit.emulator import control_router
from kit.problems import Problem
from services.nutzerkonto import identities
from services.nutzerkonto.attributes import BY_NAME
from services.nutzerkonto.models import ForcedOutcome, Identity
from services.nutzerkonto.state import NutzerkontoDep
from services.nutzerkonto.trust import Method

router = control_router()


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", examples=["hans-beispiel"])
    kind: Literal["person", "organisation"] = "person"
    display_name: str = Field(min_length=1, max_length=200)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(default=identities.TEST_PASSWORD, min_length=1, max_length=200)
    methods: list[Method] = Field(min_length=1)
    attributes: dict[str, str] = Field(description="BundID attribute names (givenName, surname, birthdate, ...)")
    card: dict[str, Any] | None = Field(None, description="Test-card data fields (BSI TR-03130 names)")


class IdentityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, min_length=1, max_length=200)
    password: str | None = Field(None, min_length=1, max_length=200)
    methods: list[Method] | None = Field(None, min_length=1)
    attributes: dict[str, str] | None = None
    card: dict[str, Any] | None = None


def _check_attribute_names(attributes: dict[str, str]) -> None:
    unknown = sorted(set(attributes) - set(BY_NAME) - {"organizationName"})
    if unknown:
        raise Problem(422, f"Unknown attributes: {', '.join(unknown)}.", type_="validation-error",
                      title="Validation failed", known=sorted(BY_NAME))


@router.get("/identities", name="nutzerkonto_list_identities")
async def list_identities(session: SessionDep) -> list[dict[str, Any]]:
    return [identities.describe(i) for i in await identities.list_identities(session)]


@router.post("/identities", name="nutzerkonto_create_identity", status_code=201)
async def create_identity(body: IdentityIn, session: SessionDep, request: Request) -> dict[str, Any]:
    _check_attribute_names(body.attributes)
    now = request.app.state.runtime.clock.now()
    identity = Identity(
        id=body.id, kind=body.kind, display_name=body.display_name, username=body.username,
        password=body.password, methods=[str(m) for m in body.methods],
        attributes=identities.with_pseudonyms(body.id, body.attributes), card=body.card, seeded=False,
        created_at=now, updated_at=now,
    )
    session.add(identity)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Problem(409, f"An identity with id {body.id!r} or username {body.username!r} exists.",
                      type_="identity-exists") from exc
    return identities.describe(identity)


async def _identity(session: SessionDep, identity_id: str) -> Identity:
    identity = await identities.get_identity(session, identity_id)
    if identity is None:
        raise Problem(404, f"No identity {identity_id!r}.")
    return identity


@router.patch("/identities/{identity_id}", name="nutzerkonto_update_identity")
async def update_identity(identity_id: str, body: IdentityPatch, session: SessionDep,
                          request: Request) -> dict[str, Any]:
    identity = await _identity(session, identity_id)
    changes = body.model_dump(exclude_unset=True)
    if "attributes" in changes:
        _check_attribute_names(changes["attributes"])
        # bPK2 and postkorb handle belong to the person and never change.
        changes["attributes"] = identities.with_pseudonyms(identity.id, {**identity.attributes,
                                                                          **changes["attributes"]})
    if "methods" in changes:
        changes["methods"] = [str(m) for m in changes["methods"]]
    for key, value in changes.items():
        setattr(identity, key, value)
    identity.updated_at = request.app.state.runtime.clock.now()
    return identities.describe(identity)


@router.delete("/identities/{identity_id}", name="nutzerkonto_delete_identity", status_code=204)
async def delete_identity(identity_id: str, session: SessionDep) -> Response:
    await session.delete(await _identity(session, identity_id))
    return Response(status_code=204)


class NextOutcome(BaseModel):
    outcome: Literal["cancel", "error"] = Field(
        description="cancel: the citizen presses Abbrechen; error: a technical failure (SAML NoAuthnContext, "
                    "OIDC server_error)")


@router.post("/next-login", name="nutzerkonto_force_next_login", status_code=201)
async def force_next_login(body: NextOutcome, session: SessionDep, request: Request) -> dict[str, str]:
    """The next login ends this way whatever the citizen chooses on the page; queued, one per login."""
    session.add(ForcedOutcome(outcome=body.outcome, created_at=request.app.state.runtime.clock.now()))
    return {"next_login": body.outcome}


@router.post("/keys/rotate", name="nutzerkonto_rotate_keys")
async def rotate_keys(session: SessionDep, state: NutzerkontoDep, request: Request) -> dict[str, Any]:
    """Sign with a new key from now on; the previous one stays published until the next rotation."""
    active = await state.keys.rotate(session, request.app.state.runtime.clock.now())
    return {"active_kid": active.kid, "published": [k.kid for k in state.keys.published]}
