"""Registering SAML service providers by metadata upload, as in BundID's self-service portal ("Upload und
Aktualisierung der Metadaten"): reached as ``/_emulator/nutzerkonto/service-providers`` on the gateway.

Uploading metadata for an entityID that is registered already replaces the registration (200), as uploading
new metadata in the portal does; a new entityID is created (201).
"""

from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from kit.db import SessionDep
from kit.emulator import control_router
from kit.problems import Problem
from services.nutzerkonto.saml import providers
from services.nutzerkonto.saml.metadata import METADATA_MEDIA_TYPE
from services.nutzerkonto.saml.xml import SamlXmlError

router = control_router()

_XML_TYPES = (METADATA_MEDIA_TYPE, "application/xml", "text/xml")
_UPLOAD_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {
    t: {"schema": {"type": "string", "description": "SP metadata: one md:EntityDescriptor"}} for t in _XML_TYPES}}}


@router.get("/service-providers", name="saml_list_service_providers")
async def list_service_providers(session: SessionDep) -> list[dict[str, Any]]:
    return [providers.describe(sp) for sp in await providers.list_all(session)]


@router.post("/service-providers", name="saml_register_service_provider", status_code=201,
             openapi_extra=_UPLOAD_DOC,
             responses={200: {"description": "An existing registration was replaced"},
                        415: {"description": "Not an XML body"}, 422: {"description": "Unusable metadata"}})
async def register_service_provider(request: Request, session: SessionDep, sign_response: bool = True,
                                    sign_assertion: bool = True,
                                    encrypt_assertion: bool | None = None) -> JSONResponse:
    """Register (or replace) an SP from its SAML metadata. ``encrypt_assertion`` defaults to whether the metadata
    has an encryption key; ``WantAssertionsSigned="true"`` in the metadata always means signed assertions."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in _XML_TYPES:
        raise Problem(415, f"Send the SP metadata as {METADATA_MEDIA_TYPE} (or application/xml).",
                      type_="unsupported-media-type", title="Unsupported Media Type")
    try:
        sp, created = await providers.register(
            session, await request.body(), now=request.app.state.runtime.clock.now(), source="api",
            sign_response=sign_response, sign_assertion=sign_assertion, encrypt_assertion=encrypt_assertion)
    except SamlXmlError as exc:
        raise Problem(422, str(exc), type_="invalid-saml-metadata", title="Unusable SAML metadata") from exc
    return JSONResponse(providers.describe(sp), status_code=201 if created else 200)


@router.delete("/service-providers", name="saml_delete_service_provider", status_code=204,
               responses={404: {"description": "No SP with this entityID"}})
async def delete_service_provider(entity_id: str, session: SessionDep) -> Response:
    """Remove an SP (``?entity_id=…``; entityIDs are URLs, so they travel as a query parameter)."""
    if not await providers.remove(session, entity_id):
        raise Problem(404, f"No service provider {entity_id!r}.")
    return Response(status_code=204)
