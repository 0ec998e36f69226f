"""``POST /api/v1/verify``: upload a PDF (raw ``application/pdf`` or multipart field ``file``), get the
verification report as JSON, or as ETSI TS 119 102-2 XML with ``Accept: application/xml``. Public, like the
verification services of real trust service providers. Non-PDFs, bombs and unreadable files get a 4xx."""

import asyncio
import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from kit.problems import Problem
from services.bescheid.seal import guard, report_xml
from services.bescheid.seal.schemas import VerificationReport
from services.bescheid.state import BescheidDep, BescheidState

if TYPE_CHECKING:
    from services.bescheid.seal.verify import Evidence

log = logging.getLogger("basisdienste.bescheid.verify")
router = APIRouter(prefix="/api/v1", tags=["verification"])
VERIFY_TIMEOUT_SECONDS = 30.0
_PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}


async def _upload(request: Request, limit: int) -> bytes:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=5, max_part_size=limit + 1)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Problem(422, "Send the PDF in the multipart field 'file'.", type_="validation-error")
        return await upload.read(limit + 1)
    if media not in ("application/pdf", "application/octet-stream"):
        raise Problem(415, "Send the PDF as application/pdf or as multipart field 'file'.", type_="not-a-pdf")
    return await request.body()


def evidence(state: BescheidState, request: Request) -> "Evidence":
    # pyHanko takes 0.2 s to import: the first verification pays it, not every start of the suite.
    from services.bescheid.seal.verify import Evidence

    pki = state.pki
    assert pki.root is not None and pki.revocation is not None
    now = request.app.state.runtime.clock.now()
    revocation = pki.revocation

    def ocsp_for(serial: int) -> bytes | None:
        certificate = revocation.known.get(serial)
        return revocation.ocsp_for(certificate, now) if certificate is not None else None

    return Evidence(root=pki.root.asn1, crl=revocation.crl(now), ocsp_for=ocsp_for,
                    revoked={s: (e.revoked_at, e.reason) for s, e in revocation.revoked.items()}, now=now)


@router.post("/verify", name="verify_pdf", openapi_extra={"requestBody": {"required": True, "content": _PDF}},
             response_model=VerificationReport,
             responses={200: {"description": "The report as JSON, or as ETSI TS 119 102-2 XML",
                              "content": {"application/xml": {"schema": {"type": "string"}}}},
                        413: {"description": "Too large"}, 415: {"description": "Not a PDF"},
                        422: {"description": "Unreadable PDF or PDF bomb"}})
async def verify_pdf(request: Request, state: BescheidDep) -> Response:
    """Check every seal and timestamp of the PDF: intact, chain trusted (TEST root), timestamp, PAdES level,
    revocation status; ``Accept: application/xml`` answers the ETSI TS 119 102-2 validation report."""
    settings = state.settings
    data = await _upload(request, settings.max_verify_bytes)
    from services.bescheid.seal.verify import verify

    try:
        guard.check(data, max_bytes=settings.max_verify_bytes, max_inflated=settings.max_inflated_bytes)
    except guard.Rejected as rejected:
        raise Problem(rejected.status, str(rejected), type_=rejected.type) from rejected
    try:
        report = await asyncio.wait_for(state.run(verify, data, evidence(state, request)), VERIFY_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise Problem(422, "The PDF takes too long to check; it is refused.", type_="pdf-too-complex") from exc
    except Exception as exc:  # pyHanko raises many kinds on broken files; all mean: this PDF cannot be read
        log.info("unreadable PDF: %s: %s", type(exc).__name__, exc)
        raise Problem(422, f"The PDF cannot be read: {type(exc).__name__}.", type_="pdf-unreadable") from exc
    if "xml" in request.headers.get("accept", "") or request.query_params.get("format") == "etsi":
        return Response(report_xml.render(report), media_type="application/xml")
    return JSONResponse(report)
