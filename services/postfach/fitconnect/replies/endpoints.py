"""HTTP endpoints of the reply channel (Submission API v2, ``/replies``)."""

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from kit.db import SessionDep
from kit.schemas import text_body
from services.postfach.fitconnect.oauth import PrincipalDep
from services.postfach.fitconnect.replies import service
from services.postfach.fitconnect.schemas import Reply, ReplyPage, ReplyRef, SubmittedReply
from services.postfach.fitconnect.state import SUBMISSION_API, FitConnectDep
from services.postfach.fitconnect.submissions.schemas import CreateReply, SubmitSubmission, parse

router = APIRouter(prefix=f"{SUBMISSION_API}/v2/replies", tags=["FIT-Connect reply channel"])


@router.post("", name="fitconnect_create_reply", status_code=201, response_model=ReplyRef)
async def create(request: Request, principal: PrincipalDep, session: SessionDep, fc: FitConnectDep) -> JSONResponse:
    """The subscriber announces a reply to a bidirectional submission's case."""
    reply = await service.create(session, fc, principal, await parse(request, CreateReply))
    return JSONResponse({"replyId": reply.reply_id, "caseId": reply.case_id, "submissionId": reply.submission_id},
                        status_code=201)


@router.put("/{reply_id}/attachments/{attachment_id}", name="fitconnect_upload_reply_attachment",
            status_code=204)
async def upload(reply_id: str, attachment_id: str, request: Request, principal: PrincipalDep,
                 session: SessionDep) -> Response:
    await service.upload_attachment(session, principal, reply_id, attachment_id,
                                    request.headers.get("content-type", ""), await request.body())
    return Response(status_code=204)


@router.put("/{reply_id}", name="fitconnect_submit_reply", response_model=SubmittedReply)
async def submit(reply_id: str, request: Request, principal: PrincipalDep, session: SessionDep,
                 fc: FitConnectDep) -> dict[str, Any]:
    reply = await service.submit(session, fc, principal, reply_id, await parse(request, SubmitSubmission))
    return {"replyId": reply.reply_id, "caseId": reply.case_id, "status": reply.status}


@router.get("", name="fitconnect_list_replies", response_model=ReplyPage)
async def list_replies(principal: PrincipalDep, session: SessionDep, offset: int = Query(0, ge=0),
                       limit: int = Query(100, ge=1, le=500)) -> dict[str, Any]:
    """The sender's replies waiting for it."""
    return await service.list_received(session, principal, offset, limit)


@router.get("/{reply_id}", name="fitconnect_get_reply", response_model=Reply)
async def get(reply_id: str, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return await service.fetch(session, principal, reply_id)


@router.get("/{reply_id}/attachments/{attachment_id}", name="fitconnect_get_reply_attachment",
            response_class=Response,
            responses={200: text_body("application/jose", "The attachment as JWE (compact serialization)")})
async def attachment(reply_id: str, attachment_id: str, principal: PrincipalDep, session: SessionDep) -> Response:
    return Response(await service.fetch_attachment(session, principal, reply_id, attachment_id),
                    media_type="application/jose")


routers = [router]
