"""Builds the bescheid service's ASGI app: notice templates → PDF/A → PAdES seal under a test PKI (with its own
TSA, CRL and OCSP responder) → delivery into the Postfach; verification of sealed PDFs."""

import asyncio
import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from kit.identity import NutzerkontoVerifier, ServiceCredentials
from kit.peers import Peers
from kit.service import ServiceHooks, ServiceRuntime, create_service_app
from kit.tokens import install_token_verifier
from kit.zbp import ZbpAuthor
from services.bescheid import controls, seed
from services.bescheid.delivery import retry
from services.bescheid.models import Base, PkiMaterial
from services.bescheid.notices import batch
from services.bescheid.notices import endpoints as notices_api
from services.bescheid.notices.service import POSTFACH_CHANNEL
from services.bescheid.pki import endpoints as pki_api
from services.bescheid.pki.certificates import PkiUrls
from services.bescheid.pki.store import TestPki
from services.bescheid.render import fonts
from services.bescheid.seal import endpoints as verify_api
from services.bescheid.settings import BescheidSettings
from services.bescheid.state import BescheidState

# The settings gateway.suite builds this service with.
settings_class = BescheidSettings

ZBP_AUTHOR = "zbp-author"


class BescheidHooks(ServiceHooks):
    # Set by create_app right after the kit built the runtime the state needs.
    state: BescheidState

    async def populate(self, runtime: ServiceRuntime) -> None:
        state = self.state
        now = runtime.clock.now()
        if not state.fonts:
            # A cache outside the data directory: on PostgreSQL (compose) the service writes no files of its own.
            font_dir = Path(tempfile.gettempdir()) / f"basisdienste-bescheid-fonts-{os.getuid()}"
            state.fonts = await asyncio.to_thread(fonts.prepare, font_dir)
        async with runtime.db.sessionmaker() as session:
            await seed.populate(session, now)
            await state.pki.load(session, now, seed.identities())
            state.author = await _author(session, now)
            await session.commit()
        state.credentials.forget()
        await batch.resume(state, runtime)

    async def seed(self, runtime: ServiceRuntime) -> dict[str, Any]:
        base = self.state.settings.external_url
        return {
            "authorities": [{"id": a["id"], "name": a["name"], "ars": a["ars"], "padesLevel": a["pades_level"]}
                            for a in seed.AUTHORITIES],
            "templates": [t["id"] for t in seed.TEMPLATES],
            "pki": {"root": f"{base}/pki/root.crt", "crl": f"{base}/pki/crl", "ocsp": f"{base}/pki/ocsp",
                    "tsa": f"{base}/tsa", "note": "TEST-PKI: nur für Tests, keine qualifizierten Zertifikate"},
        }


async def _author(session: AsyncSession, now: dt.datetime) -> ZbpAuthor:
    """The key the service signs ZBP envelopes with; generated once, kept across resets with the PKI."""
    row = await session.get(PkiMaterial, ZBP_AUTHOR)
    if row is not None:
        return ZbpAuthor.from_pem(row.key_pem.encode(), row.certificate_pem.encode())
    author = await asyncio.to_thread(ZbpAuthor.generate, "Basisdienste Bescheid (TEST)")
    key_pem = author.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()).decode()
    session.add(PkiMaterial(name=ZBP_AUTHOR, key_pem=key_pem, certificate_pem=author.certificate_pem, created_at=now))
    return author


def create_app(settings: BescheidSettings | None = None, *, peers: Peers | None = None) -> FastAPI:
    settings = settings or BescheidSettings()
    base = settings.external_url
    pki = TestPki(settings.pki_key_type, settings.rsa_key_bits,
                  PkiUrls(ca_issuers=f"{base}/pki/root.crt", crl=f"{base}/pki/crl", ocsp=f"{base}/pki/ocsp"))
    if settings.seal_keys == "pkcs11":
        from services.bescheid.pki.hsm import Hsm  # python-pkcs11 is needed only for this

        pki.hsm = Hsm(settings.pkcs11_module, settings.pkcs11_token_label, settings.pkcs11_user_pin)
    hooks = BescheidHooks()

    app = create_service_app(
        settings,
        title="Bescheid",
        description="Notices rendered to PDF/A, sealed with PAdES under a test PKI (own TSA, CRL, OCSP), delivered "
                    "to the Postfach, verifiable.",
        routers=[notices_api.router, verify_api.router, pki_api.router, controls.router],
        metadata=Base.metadata,
        migrations=Path(__file__).parent / "migrations",
        hooks=hooks,
        peers=peers,
        fault_steps=[pki_api.TSA_OPERATION],  # "TSA down": the TSA route and every seal that needs a timestamp
    )
    runtime: ServiceRuntime = app.state.runtime
    state = BescheidState(settings=settings, pki=pki, credentials=ServiceCredentials(
        runtime.peers, runtime.clock, settings.client_id, settings.client_secret))
    hooks.state = state
    app.state.bescheid = state
    install_token_verifier(app, NutzerkontoVerifier(runtime.peers, runtime.clock, audience="bescheid"))
    runtime.outbox.register_channel(POSTFACH_CHANNEL, retry.handler(state, runtime))

    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with inner(app_):
            try:
                yield
            finally:
                state.shutdown()
                if pki.hsm is not None:
                    pki.hsm.close()

    app.router.lifespan_context = lifespan
    return app
