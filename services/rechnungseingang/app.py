"""Builds the rechnungseingang service's ASGI app: the central e-invoice intake of Rheinland-Pfalz as a twin —
REST, web and e-mail channels, KoSIT-equivalent validation, Leitweg-ID routing into the Behördenpostfach,
status and Laufzettel."""

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.bodylimit import BodyLimitMiddleware
from kit.identity import NutzerkontoVerifier, ServiceCredentials
from kit.peers import Peers
from kit.service import ServiceHooks, ServiceRuntime, create_service_app
from kit.tokens import install_token_verifier
from kit.zbp import behoerdenpostfach_uuid
from services.rechnungseingang import controls
from services.rechnungseingang.intake import endpoints as intake_api
from services.rechnungseingang.intake.validator import ValidatorHolder
from services.rechnungseingang.mail import server as mail_server
from services.rechnungseingang.models import Base
from services.rechnungseingang.portal import endpoints as portal_pages
from services.rechnungseingang.registry import endpoints as authority_api
from services.rechnungseingang.registry import repository as registry
from services.rechnungseingang.routing import erp, forward
from services.rechnungseingang.settings import RechnungseingangSettings
from services.rechnungseingang.state import Rechnungseingang

log = logging.getLogger("basisdienste.rechnungseingang")

# The settings gateway.suite builds this service with.
settings_class = RechnungseingangSettings

# Room for the multipart envelope around a 20 MB file; the pipeline then checks the file itself.
_MULTIPART_ALLOWANCE = 64 * 1024
_UPLOAD_PATHS = ("/api/v1/invoices", "/portal/upload")


class UploadLimit:
    """The platform's 20 MB cap on the upload routes, refused with 413 before more than the cap is read (the
    kit's suite-wide cap is larger)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.limited = BodyLimitMiddleware(app, max_bytes=max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/") in _UPLOAD_PATHS:
            await self.limited(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class RechnungseingangHooks(ServiceHooks):
    def __init__(self, settings: RechnungseingangSettings) -> None:
        self.settings = settings
        self.state: Rechnungseingang | None = None

    async def populate(self, runtime: ServiceRuntime) -> None:
        async with runtime.db.sessionmaker() as session:
            await registry.populate(session, runtime.clock.now())
            await session.commit()
        if self.state is not None:
            self.state.credentials.forget()

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        async with runtime.db.sessionmaker() as session:
            authorities = [registry.describe(a, ids, behoerdenpostfach_uuid(a.ars))
                           for a, ids in await registry.list_authorities(session)]
            senders = [{"address": s.address, "name": s.name} for s in await registry.list_senders(session)]
        smtp = self.state.smtp if self.state is not None else None
        seed: dict[str, Any] = {
            "authorities": authorities,
            "mail_senders": senders,
            "supplier_login": "musterbau-gmbh (Mein Unternehmenskonto, Methode Elster, Passwort test)",
            "upload_page": f"{self.settings.external_url}/portal",
            "fault_operations": list(controls.FAULT_OPERATIONS),
        }
        if smtp is not None and smtp.address:
            seed["smtp"] = smtp.address
        return seed


def create_app(settings: RechnungseingangSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    settings = settings or RechnungseingangSettings()
    hooks = RechnungseingangHooks(settings)
    app = create_service_app(
        settings,
        title="Rechnungseingang",
        description="Central e-invoice intake: XRechnung/ZUGFeRD, KoSIT-equivalent validation, Leitweg-ID routing.",
        routers=[intake_api.router, authority_api.router, portal_pages.router, controls.router],
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        hooks=hooks,
        peers=peers,
        # intake/validator.py, intake/service.py, routing/forward.py, routing/erp.py
        fault_steps=["validation", "virus-scan", "forwarding", "erp-webhook"],
    )
    runtime: ServiceRuntime = app.state.runtime
    verifier = NutzerkontoVerifier(runtime.peers, runtime.clock, audience="rechnungseingang")
    install_token_verifier(app, verifier)
    state = Rechnungseingang(
        settings=settings, runtime=runtime,
        validator=ValidatorHolder(runtime.faults, workers=settings.validation_workers),
        credentials=ServiceCredentials(runtime.peers, runtime.clock, settings.client_id, settings.client_secret),
        verifier=verifier,
    )
    hooks.state = state
    app.state.rechnungseingang = state
    runtime.outbox.register_channel(forward.CHANNEL, forward.make_handler(state))
    erp_handler = erp.make_handler(state)
    runtime.outbox.register_channel(erp.CHANNEL, erp_handler)
    app.add_middleware(UploadLimit, max_bytes=settings.max_invoice_bytes + _MULTIPART_ALLOWANCE)

    service_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with service_lifespan(app) as value:
            # Stylesheets compile in a worker thread; the first request waits for them only if it comes first.
            state.validator.start_loading()
            if settings.smtp_enabled:
                state.smtp = await mail_server.start(state)
            try:
                yield value
            finally:
                if state.smtp is not None:
                    await state.smtp.stop()
                    state.smtp = None
                state.validator.close()
                await erp_handler.client.aclose()

    app.router.lifespan_context = lifespan
    return app
