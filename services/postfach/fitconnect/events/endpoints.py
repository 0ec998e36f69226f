"""The event log endpoints (``/cases/{caseId}/events`` and ``/submissions/{id}/events``) and the delivery
service's JWK Set at ``<submission-api>/.well-known/jwks.json``, with which anyone verifies its SETs."""

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from kit.db import SessionDep
from services.postfach.fitconnect import timers
from services.postfach.fitconnect.events import sets
from services.postfach.fitconnect.keys import SERVICE, SIG
from services.postfach.fitconnect.models import FcEvent, FcSubmission
from services.postfach.fitconnect.oauth import Principal, PrincipalDep
from services.postfach.fitconnect.problems import fc_problem, not_found
from services.postfach.fitconnect.schemas import EventLog, KeySet
from services.postfach.fitconnect.state import SUBMISSION_API, FitConnectDep
from services.postfach.fitconnect.submissions.service import finish

jwks_router = APIRouter(tags=["FIT-Connect Submission API"])


@jwks_router.get(f"{SUBMISSION_API}/.well-known/jwks.json", name="fitconnect_jwks", response_model=KeySet)
async def jwks(session: SessionDep, fc: FitConnectDep, response: Response) -> dict[str, Any]:
    key = await fc.keys.get(SERVICE, SIG, session)
    response.headers["Cache-Control"] = "public, max-age=300"
    return {"keys": [key.public_jwk()] if key else []}


def _may_read(principal: Principal, submission: FcSubmission) -> None:
    if principal.client_id == submission.sender_client_id:
        return
    principal.require_subscriber_of(submission.destination_id)


async def _log(session: SessionDep, case_id: str, offset: int, limit: int) -> dict[str, Any]:
    tokens = (await session.scalars(select(FcEvent.token).where(FcEvent.case_id == case_id)
                                    .order_by(FcEvent.id).offset(offset).limit(limit))).all()
    return {"eventLog": list(tokens)}


def router_for(version: str) -> APIRouter:
    router = APIRouter(prefix=f"{SUBMISSION_API}/{version}", tags=[f"FIT-Connect Submission API {version}"])

    async def _case(session: SessionDep, case_id: str) -> FcSubmission:
        submission = (await session.scalars(select(FcSubmission).where(FcSubmission.case_id == case_id))).first()
        if submission is None:
            raise fc_problem(404, "case-not-found", f"The case {case_id} does not exist.")
        return submission

    @router.get("/cases/{case_id}/events", name=f"fitconnect_{version}_case_events", response_model=EventLog)
    async def case_events(case_id: str, principal: PrincipalDep, session: SessionDep, fc: FitConnectDep,
                          offset: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=500)) -> dict[str, Any]:
        """The case's SETs in the order they were issued (compact JWS each)."""
        submission = await _case(session, case_id)
        _may_read(principal, submission)
        await timers.sweep(session, fc)
        return await _log(session, case_id, offset, limit)

    @router.get("/submissions/{submission_id}/events", name=f"fitconnect_{version}_submission_events",
                response_model=EventLog)
    async def submission_events(submission_id: str, principal: PrincipalDep, session: SessionDep,
                                fc: FitConnectDep, offset: int = Query(0, ge=0),
                                limit: int = Query(500, ge=1, le=500)) -> dict[str, Any]:
        submission = await session.get(FcSubmission, submission_id.lower())
        if submission is None:
            raise not_found("submission", submission_id)
        _may_read(principal, submission)
        await timers.sweep(session, fc)
        return await _log(session, submission.case_id, offset, limit)

    @router.post("/cases/{case_id}/events", name=f"fitconnect_{version}_post_event", status_code=204)
    async def post_event(case_id: str, request: Request, principal: PrincipalDep, session: SessionDep,
                         fc: FitConnectDep) -> Response:
        """The subscriber's accept-submission or reject-submission SET (``Content-Type: application/jose``)."""
        submission = await _case(session, case_id)
        principal.require_subscriber_of(submission.destination_id)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/jose", "application/jwt", "text/plain"):
            raise fc_problem(415, "unsupported-media-type", "Post the SET as application/jose.")
        try:
            token = (await request.body()).decode("ascii").strip()
        except UnicodeDecodeError as exc:
            raise fc_problem(422, "invalid-event", "A compact JWS is ASCII.") from exc
        await timers.sweep(session, fc)
        submission, name, payload, claims = await sets.verify_subscriber_event(session, fc, token, case_id)
        await finish(session, fc, submission, name, payload, by_service=False, token=token, jti=claims["jti"])
        return Response(status_code=204)

    return router


routers = [jwks_router, router_for("v1"), router_for("v2")]
