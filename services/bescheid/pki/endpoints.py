"""HTTP face of the test PKI, at the URLs its certificates name: CA certificate (RFC 5280 caIssuers), CRL
(RFC 5280 distribution point), OCSP responder (RFC 6960, POST and GET), and the RFC 3161 TSA
(``application/timestamp-query`` → ``application/timestamp-reply``). Public, like the real ones."""

import base64
import binascii

from asn1crypto import tsp
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Request, Response

from kit.problems import Problem
from kit.schemas import binary_body, text_body
from services.bescheid.state import BescheidDep

router = APIRouter(tags=["pki"])

TSA_OPERATION = "tsa.timestamp"
MAX_PKI_REQUEST_BYTES = 64 * 1024


def _der_response(data: bytes, media_type: str, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "no-cache"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(data, media_type=media_type, headers=headers)


@router.get("/pki/root.crt", name="pki_root_certificate", response_class=Response,
            responses={200: binary_body("application/pkix-cert", "The certificate (DER)")})
async def root_certificate(state: BescheidDep) -> Response:
    """The TEST root CA (DER). Import it as a trust anchor to validate the suite's seals."""
    assert state.pki.root is not None
    return _der_response(state.pki.root.certificate.public_bytes(serialization.Encoding.DER),
                         "application/pkix-cert", "basisdienste-test-root.crt")


@router.get("/pki/root.pem", name="pki_root_certificate_pem", response_class=Response,
            responses={200: text_body("application/x-pem-file", "The certificate (PEM)")})
async def root_certificate_pem(state: BescheidDep) -> Response:
    assert state.pki.root is not None
    return Response(state.pki.root.certificate_pem, media_type="application/x-pem-file")


@router.get("/pki/tsa.crt", name="pki_tsa_certificate", response_class=Response,
            responses={200: binary_body("application/pkix-cert", "The certificate (DER)")})
async def tsa_certificate(state: BescheidDep) -> Response:
    assert state.pki.tsa_credential is not None
    return _der_response(state.pki.tsa_credential.certificate.public_bytes(serialization.Encoding.DER),
                         "application/pkix-cert", "basisdienste-test-tsa.crt")


@router.get("/pki/seals/{authority_id}.crt", name="pki_seal_certificate", response_class=Response,
            responses={200: binary_body("application/pkix-cert", "The certificate (DER)"),
                       404: {"description": "No such authority"}})
async def seal_certificate(authority_id: str, state: BescheidDep) -> Response:
    """The seal certificate an authority currently seals with (DER)."""
    if authority_id not in state.pki.seals:
        raise Problem(404, f"No authority {authority_id!r}.", type_="authority-not-found")
    credential = state.pki.seal_for(authority_id)
    return _der_response(credential.certificate.public_bytes(serialization.Encoding.DER), "application/pkix-cert")


@router.get("/pki/crl", name="pki_crl", response_class=Response,
            responses={200: binary_body("application/pkix-crl", "The current CRL (DER, RFC 5280)")})
async def crl(request: Request, state: BescheidDep) -> Response:
    assert state.pki.revocation is not None
    return _der_response(state.pki.revocation.crl(request.app.state.runtime.clock.now()), "application/pkix-crl")


async def _body(request: Request, media_type: str) -> bytes:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != media_type:
        raise Problem(415, f"Send the request as {media_type}.", type_="unsupported-media-type")
    body = await request.body()
    if len(body) > MAX_PKI_REQUEST_BYTES:
        raise Problem(413, "The request is larger than any valid one.", type_="body-too-large")
    return body


@router.post("/pki/ocsp", name="pki_ocsp", response_class=Response,
             responses={200: binary_body("application/ocsp-response", "The OCSP response (DER, RFC 6960)"),
                        415: {"description": "Not OCSP"}})
async def ocsp_post(request: Request, state: BescheidDep) -> Response:
    """RFC 6960 OCSP over HTTP POST (appendix A.1)."""
    body = await _body(request, "application/ocsp-request")
    assert state.pki.revocation is not None
    return Response(state.pki.revocation.respond(body, request.app.state.runtime.clock.now()),
                    media_type="application/ocsp-response")


@router.get("/pki/ocsp/{encoded:path}", name="pki_ocsp_get", response_class=Response,
            responses={200: binary_body("application/ocsp-response", "The OCSP response (DER, RFC 6960)")})
async def ocsp_get(encoded: str, request: Request, state: BescheidDep) -> Response:
    """RFC 6960 OCSP over HTTP GET: the DER request, base64 and URL-encoded, as the last path segment."""
    try:
        der = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        der = b""
    assert state.pki.revocation is not None
    return Response(state.pki.revocation.respond(der, request.app.state.runtime.clock.now()),
                    media_type="application/ocsp-response")


@router.post("/tsa", name="tsa_timestamp", response_class=Response,
             responses={200: binary_body("application/timestamp-reply", "The timestamp reply (DER, RFC 3161)"),
                        400: {"description": "Not a TimeStampReq"}, 415: {"description": "Wrong media type"},
                        503: {"description": "TSA down (emulator fault tsa.timestamp)"}})
async def timestamp(request: Request, state: BescheidDep) -> Response:
    """RFC 3161 time-stamping over HTTP (§3.4)."""
    await request.app.state.runtime.faults.check(TSA_OPERATION)
    body = await _body(request, "application/timestamp-query")
    try:
        query = tsp.TimeStampReq.load(body)
        _ = query.native  # parses everything now, so a broken request fails here and not in the middle of signing
    except (ValueError, TypeError) as exc:
        raise Problem(400, "The body is not a DER TimeStampReq (RFC 3161 §2.4.1).", type_="malformed-body") from exc
    assert state.pki.tsa is not None
    reply = state.pki.tsa.respond(query, request.app.state.runtime.clock.now())
    return Response(reply.dump(), media_type="application/timestamp-reply")
