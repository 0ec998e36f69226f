"""HTTP API of the Bescheid service (``/api/v1``): create, read (JSON, PDF, data), list, batch jobs.
Callers are Fachverfahren with Nutzerkonto client-credentials tokens for the audience ``bescheid``."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from kit.db import SessionDep
from kit.problems import Problem
from kit.schemas import binary_body
from kit.tokens import require_token
from services.bescheid.delivery import postfach
from services.bescheid.models import Bescheid
from services.bescheid.notices import batch, repository, service
from services.bescheid.notices.schemas import (
    AuthorityOut,
    BatchIn,
    BatchOut,
    Bekanntgabe,
    BescheidData,
    BescheidIn,
    BescheidOut,
    Delivery,
    Seal,
    TemplateOut,
)
from services.bescheid.state import BescheidDep

Claims = Annotated[dict[str, Any], Depends(require_token())]
router = APIRouter(prefix="/api/v1", tags=["bescheide"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "No valid bearer token"},
                                            404: {"description": "Not found"}}


def client_of(claims: dict[str, Any]) -> str:
    return str(claims.get("client_id") or claims.get("sub"))


async def limit_body(request: Request) -> None:
    """Runs before the body is parsed: Bescheid data over the configured size is refused as a whole."""
    limit = request.app.state.bescheid.settings.max_data_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit * 1000:
        raise Problem(413, "The request is far larger than any Bescheid.", type_="body-too-large")
    size = len(await request.body())
    per_item = limit * (1000 if request.url.path.endswith("/batches") else 1)
    if size > per_item:
        raise Problem(413, f"The Bescheid data has {size} bytes; at most {per_item} are accepted. Nothing was "
                      "issued.", type_="bescheid-data-too-large", title="Bescheid data too large", max_bytes=per_item)


def describe(bescheid: Bescheid, request: Request) -> BescheidOut:
    base = str(request.app.state.bescheid.settings.external_url)
    data = bescheid.data
    return BescheidOut(
        id=bescheid.id, number=bescheid.number, authority=bescheid.authority_id, template=bescheid.template_id,
        aktenzeichen=bescheid.aktenzeichen, date=data["date"], addressee=data["addressee"], batch_id=bescheid.batch_id,
        created_at=bescheid.created_at,
        seal=Seal(pades_level=bescheid.pades_level, certificate_serial=bescheid.seal_serial,  # type: ignore[arg-type]
                  warnings=bescheid.seal_warnings),
        delivery=Delivery(status=bescheid.delivery_status, message_id=bescheid.message_id,  # type: ignore[arg-type]
                          error=bescheid.delivery_error, provided_at=bescheid.provided_at,
                          notified_at=bescheid.notified_at, retrieved_at=bescheid.retrieved_at,
                          bekanntgabe=Bekanntgabe(**bescheid.bekanntgabe) if bescheid.bekanntgabe else None),
        links={"self": f"{base}/api/v1/bescheide/{bescheid.id}", "pdf": f"{base}/api/v1/bescheide/{bescheid.id}/pdf",
               "data": f"{base}/api/v1/bescheide/{bescheid.id}/data"})


@router.post("/bescheide", name="create_bescheid", status_code=201, dependencies=[Depends(limit_body)],
             responses={**_ERRORS, 413: {"description": "Bescheid data too large"},
                        422: {"description": "Missing content, unknown authority/template/addressee"},
                        503: {"description": "TSA down; nothing issued"}})
async def create_bescheid(body: BescheidIn, claims: Claims, session: SessionDep, state: BescheidDep,
                          request: Request, response: Response) -> BescheidOut:
    """Issue a Bescheid: numbered, rendered, sealed at the authority's PAdES level and delivered to the
    addressee's Postfach. Send an ``Idempotency-Key`` header to make retries safe."""
    bescheid = await service.issue(session, state, request.app.state.runtime, body, client_id=client_of(claims))
    out = describe(bescheid, request)
    response.headers["Location"] = out.links["self"]
    return out


async def _own(session: SessionDep, bescheid_id: str, claims: dict[str, Any]) -> Bescheid:
    bescheid = await repository.get_bescheid(session, bescheid_id)
    if bescheid is None or bescheid.client_id != client_of(claims):
        raise Problem(404, f"No Bescheid {bescheid_id}.", type_="bescheid-not-found")
    return bescheid


@router.get("/bescheide", name="list_bescheide", responses=_ERRORS)
async def list_bescheide(claims: Claims, session: SessionDep, request: Request,
                         authority: str | None = None,
                         addressee: Annotated[str | None, Query(description="postkorb handle")] = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100,
                         offset: Annotated[int, Query(ge=0)] = 0) -> list[BescheidOut]:
    """The caller's Bescheide, newest first, optionally of one authority or one addressee."""
    rows = await repository.list_bescheide(session, client_id=client_of(claims), authority_id=authority,
                                           addressee=addressee, limit=limit, offset=offset)
    return [describe(b, request) for b in rows]


@router.get("/bescheide/{bescheid_id}", name="get_bescheid", responses=_ERRORS)
async def get_bescheid(bescheid_id: str, claims: Claims, session: SessionDep, state: BescheidDep,
                       request: Request) -> BescheidOut:
    """The Bescheid with its delivery state as the Postfach reports it now (provided, retrieved, Bekanntgabe)."""
    bescheid = await _own(session, bescheid_id, claims)
    await postfach.refresh(state, bescheid)
    return describe(bescheid, request)


@router.get("/bescheide/{bescheid_id}/pdf", name="get_bescheid_pdf", response_class=Response,
            responses={**_ERRORS, 200: binary_body("application/pdf", "The sealed PDF (PAdES)")})
async def get_bescheid_pdf(bescheid_id: str, claims: Claims, session: SessionDep) -> Response:
    bescheid = await _own(session, bescheid_id, claims)
    return Response(bescheid.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="Bescheid-{bescheid.number}.pdf"'})


# The stored document is answered as it is, member order included: documented, not re-serialised.
@router.get("/bescheide/{bescheid_id}/data", name="get_bescheid_data", response_model=None,
            responses={**_ERRORS, 200: {"model": BescheidData, "description": "The embedded bescheid.json"}})
async def get_bescheid_data(bescheid_id: str, claims: Claims, session: SessionDep) -> dict[str, Any]:
    """The Bescheid data, exactly as embedded in the PDF (``bescheid.json``)."""
    return (await _own(session, bescheid_id, claims)).data


@router.get("/authorities", name="list_authorities", responses=_ERRORS)
async def list_authorities(claims: Claims, session: SessionDep) -> list[AuthorityOut]:
    """The issuing authorities with the PAdES level each seals at by default."""
    return [AuthorityOut(id=a.id, name=a.name, ars=a.ars, organization_identifier=a.organization_identifier,
                         pades_level=a.pades_level, number_prefix=a.number_prefix)  # type: ignore[arg-type]
            for a in await repository.list_authorities(session)]


@router.get("/templates", name="list_templates", responses=_ERRORS)
async def list_templates(claims: Claims, session: SessionDep, authority: str | None = None) -> list[TemplateOut]:
    """The notice templates (one per authority and Verwaltungsleistung) and the data fields each shows."""
    return [TemplateOut(id=t.id, authority=t.authority_id, service=t.service, title=t.title, fields=t.fields,
                        stork_qaa_level=t.stork_qaa_level,
                        bekanntgabe_rule=t.bekanntgabe_rule)  # type: ignore[arg-type]
            for t in await repository.list_templates(session, authority)]


@router.post("/batches", name="create_batch", status_code=202, dependencies=[Depends(limit_body)],
             response_model=BatchOut,
             responses={**_ERRORS, 413: {"description": "Too large"}, 422: {"description": "Invalid items"}})
async def create_batch(body: BatchIn, claims: Claims, session: SessionDep, state: BescheidDep,
                       request: Request) -> JSONResponse:
    """Mass notices: the items are issued in the background; poll the job for progress and per-item results."""
    if len(body.items) > state.settings.max_batch_items:
        raise Problem(422, f"At most {state.settings.max_batch_items} items per batch.", type_="batch-too-large")
    job = await batch.create(session, request.app.state.runtime, body, client_id=client_of(claims))
    out = batch.describe(job)
    location = f"{state.settings.external_url}/api/v1/batches/{job.id}"
    # Started after the commit (SessionDep commits when this returns), so the worker finds the job.
    batch.start_after_commit(session, state, request.app.state.runtime, job.id)
    return JSONResponse(out.model_dump(mode="json", by_alias=True), status_code=202, headers={"Location": location})


@router.get("/batches/{batch_id}", name="get_batch", responses=_ERRORS)
async def get_batch(batch_id: str, claims: Claims, session: SessionDep) -> BatchOut:
    job = await repository.get_batch(session, batch_id)
    if job is None or job.client_id != client_of(claims):
        raise Problem(404, f"No batch {batch_id}.", type_="batch-not-found")
    return batch.describe(job)
