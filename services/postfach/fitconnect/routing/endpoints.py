"""The routing API (``/fitconnect/routing-api/v1/...``): routes, areas, info; every answer carries the
RateLimit headers, and a client over its limit gets 429 with ``Retry-After``."""

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from kit.db import SessionDep
from services.postfach.fitconnect.problems import fc_problem
from services.postfach.fitconnect.routing import service
from services.postfach.fitconnect.schemas import AreaPage, RoutePage, RoutingInfo
from services.postfach.fitconnect.state import ROUTING_API, FitConnectDep


async def rate_limited(request: Request, response: Response, fc: FitConnectDep) -> None:
    client = request.client.host if request.client else "unknown"
    verdict = fc.limiter.take(client)
    if not verdict.allowed:
        raise fc_problem(429, "too-many-requests", "The routing API's request limit is reached; try again later.",
                         headers={**verdict.headers(), "Retry-After": str(verdict.reset_seconds)})
    response.headers.update(verdict.headers())


router = APIRouter(prefix=f"{ROUTING_API}/v1", tags=["FIT-Connect Routing API"],
                   dependencies=[Depends(rate_limited)])


@router.get("/routes", name="fitconnect_routes", response_model=RoutePage)
async def routes(session: SessionDep, fc: FitConnectDep, leikaKey: str = Query(min_length=1, max_length=100),
                 ars: str | None = Query(None, pattern=r"^\d{12}$"), ags: str | None = Query(None, pattern=r"^\d{8}$"),
                 areaId: str | None = Query(None, max_length=20), offset: int = Query(0, ge=0),
                 limit: int = Query(100, ge=1, le=500)) -> dict[str, Any]:
    if sum(v is not None for v in (ars, ags, areaId)) != 1:
        raise fc_problem(400, "validation-error", "Give exactly one of ars, ags, areaId.")
    found = await service.find_routes(session, fc, leikaKey, ars=ars, ags=ags, area_id=areaId)
    page = found[offset:offset + limit]
    return {"count": len(page), "offset": offset, "totalCount": len(found), "routes": page}


@router.get("/areas", name="fitconnect_areas", response_model=AreaPage)
async def areas(areaSearchexpression: list[str] = Query(default_factory=list), offset: int = Query(0, ge=0),
                limit: int = Query(100, ge=1, le=500)) -> dict[str, Any]:
    found = service.areas(areaSearchexpression)
    page = found[offset:offset + limit]
    return {"count": len(page), "offset": offset, "totalCount": len(found), "areas": page}


@router.get("/info", name="fitconnect_routing_info", response_model=RoutingInfo)
async def info(fc: FitConnectDep) -> dict[str, Any]:
    return {"name": "FIT-Connect Routing API (Basisdienste-Emulator)", "version": "1",
            "submissionApiUrl": fc.submission_api_url,
            "rateLimit": {"limit": fc.limiter.limit, "windowSeconds": fc.limiter.window}}
