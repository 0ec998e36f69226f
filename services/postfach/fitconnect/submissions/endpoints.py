"""HTTP endpoints of the Submission API, v1 (``serviceType``) and v2 (``publicService``), with the same shapes
otherwise. Logic lives in service.py."""

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from kit.db import SessionDep
from kit.schemas import text_body
from services.postfach.fitconnect.oauth import PrincipalDep
from services.postfach.fitconnect.schemas import Submission, SubmissionPage, SubmissionRef
from services.postfach.fitconnect.state import SUBMISSION_API, FitConnectDep
from services.postfach.fitconnect.submissions import service
from services.postfach.fitconnect.submissions.schemas import CreateSubmission, SubmitSubmission, parse

BODY_TOO_LARGE = 64 * 1024 * 1024


def router_for(version: str) -> APIRouter:
    router = APIRouter(prefix=f"{SUBMISSION_API}/{version}", tags=[f"FIT-Connect Submission API {version}"])

    @router.post("/submissions", name=f"fitconnect_{version}_create_submission", status_code=201,
                 response_model=SubmissionRef)
    async def create(request: Request, principal: PrincipalDep, session: SessionDep,
                     fc: FitConnectDep) -> JSONResponse:
        """Announce a submission: destination, service, the ids of the attachments to come."""
        body = await parse(request, CreateSubmission)
        submission = await service.create(session, fc, principal, version, body)
        return JSONResponse({"destinationId": submission.destination_id, "submissionId": submission.submission_id,
                             "caseId": submission.case_id}, status_code=201)

    @router.put("/submissions/{submission_id}/attachments/{attachment_id}",
                name=f"fitconnect_{version}_upload_attachment", status_code=204)
    async def upload(submission_id: str, attachment_id: str, request: Request, principal: PrincipalDep,
                     session: SessionDep, fc: FitConnectDep) -> Response:
        """Upload one announced attachment as a JWE (``Content-Type: application/jose``)."""
        await service.upload_attachment(session, fc, principal, submission_id, attachment_id,
                                        request.headers.get("content-type", ""), await request.body())
        return Response(status_code=204)

    @router.put("/submissions/{submission_id}", name=f"fitconnect_{version}_submit_submission",
                response_model=SubmissionRef)
    async def submit(submission_id: str, request: Request, principal: PrincipalDep, session: SessionDep,
                     fc: FitConnectDep) -> dict[str, Any]:
        """Submit: the encrypted metadata (and data); every announced attachment must be uploaded."""
        body = await parse(request, SubmitSubmission)
        submission = await service.submit(session, fc, principal, submission_id, body)
        return {"destinationId": submission.destination_id, "submissionId": submission.submission_id,
                "caseId": submission.case_id}

    @router.get("/submissions", name=f"fitconnect_{version}_list_submissions", response_model=SubmissionPage)
    async def list_submissions(principal: PrincipalDep, session: SessionDep, fc: FitConnectDep,
                               destinationId: str | None = None, offset: int = Query(0, ge=0),
                               limit: int = Query(100, ge=1, le=500)) -> dict[str, Any]:
        """Submissions waiting for the subscriber (submitted or forwarded)."""
        return await service.list_available(session, fc, principal, destinationId, offset, limit)

    @router.get("/submissions/{submission_id}", name=f"fitconnect_{version}_get_submission",
                response_model=Submission, response_model_exclude_unset=True)
    async def get(submission_id: str, principal: PrincipalDep, session: SessionDep,
                  fc: FitConnectDep) -> dict[str, Any]:
        return await service.fetch(session, fc, principal, submission_id)

    @router.get("/submissions/{submission_id}/attachments/{attachment_id}",
                name=f"fitconnect_{version}_get_attachment", response_class=Response,
                responses={200: text_body("application/jose", "The attachment as JWE (compact serialization)")})
    async def attachment(submission_id: str, attachment_id: str, principal: PrincipalDep,
                         session: SessionDep) -> Response:
        content = await service.fetch_attachment(session, principal, submission_id, attachment_id)
        return Response(content, media_type="application/jose")

    return router


routers = [router_for("v1"), router_for("v2")]
