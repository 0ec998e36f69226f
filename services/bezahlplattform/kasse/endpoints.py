"""The cash office's (Kasse) interface: the daily settlement of one office as JSON, CSV or camt.053 XML, and the
import of a bank statement (camt.053) that settles open transfers. Callers see only payments of the online
services they may act for (HTTP Basic of one online service, or a Nutzerkonto token of a cash-office client)."""

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from kit.db import SessionDep
from services.bezahlplattform.auth import Caller, CallerDep
from services.bezahlplattform.errors import xbd_problem
from services.bezahlplattform.kasse import camt053, reconcile, settlement
from services.bezahlplattform.kasse.schemas import Settlement, StatementReport
from services.bezahlplattform.kasse.settlement import BERLIN
from services.bezahlplattform.models import Endpoint
from services.bezahlplattform.registry import repository as registry
from services.bezahlplattform.state import StateDep

router = APIRouter(prefix="/kasse", tags=["Kasse"])


async def _office(session: SessionDep, caller: Caller, endpoint_id: str) -> tuple[Endpoint, frozenset[str]]:
    endpoints = [e for e in await registry.endpoints_at(session, endpoint_id) if caller.may_act_for(e.originator_id)]
    if not endpoints:
        raise xbd_problem("NO_VALID_ORIGINATOR_OR_ENDPOINT", f"No office {endpoint_id!r} that these credentials may "
                          "see.")
    return endpoints[0], frozenset(e.originator_id for e in endpoints)


@router.get("/{endpoint_id}/settlement", name="kasse_settlement", response_model=Settlement,
            responses={200: {"description": "JSON; ``format=csv``: CSV (semicolons, decimal comma); "
                                            "``format=camt053``: a camt.053 statement",
                             "content": {"text/csv": {"schema": {"type": "string"}},
                                         "application/xml": {"schema": {"type": "string"}}}},
                       404: {"description": "Unknown office"}})
async def daily_settlement(endpoint_id: str, caller: CallerDep, session: SessionDep, state: StateDep,
                           date: Annotated[dt.date | None, Query(description="Booking day (Europe/Berlin); "
                                                                 "default today")] = None,
                           format: Literal["json", "csv", "camt053"] = "json") -> Response:
    """Everything paid and refunded at this office on one day, per Kassenzeichen and Haushaltsstelle."""
    endpoint, originators = await _office(session, caller, endpoint_id)
    day = date or state.runtime.clock.now().astimezone(BERLIN).date()
    result = await settlement.build(session, endpoint_id=endpoint_id, originators=originators, day=day)
    name = f"abrechnung-{endpoint_id}-{day.isoformat()}"
    if format == "csv":
        return Response(settlement.csv_text(result).encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    if format == "camt053":
        return Response(camt053.build(result, endpoint, created=state.runtime.clock.now()),
                        media_type="application/xml",
                        headers={"Content-Disposition": f'attachment; filename="{name}.camt053.xml"'})
    return JSONResponse(settlement.summary(result))


@router.post("/{endpoint_id}/statements", name="kasse_import_statement", response_model=StatementReport,
             openapi_extra={"requestBody": {"required": True, "content": {"application/xml": {
                 "schema": {"type": "string", "description": "camt.053 BankToCustomerStatement"}}}}},
             responses={400: {"description": "Not a readable camt.053 statement"},
                        409: {"description": "Imported before"}})
async def import_statement(endpoint_id: str, request: Request, caller: CallerDep, session: SessionDep,
                           state: StateDep) -> dict[str, Any]:
    """Settle open transfers from the bank's statement; answers what was settled, unmatched or off in amount."""
    _, originators = await _office(session, caller, endpoint_id)
    body = await request.body()
    try:
        statement = camt053.parse(body)
    except camt053.StatementError as exc:
        raise xbd_problem("VALIDATION_ERROR", f"The upload is not a readable camt.053 statement: {exc}.") from None
    return await reconcile.import_statement(session, state.runtime, state.base_url, endpoint_id=endpoint_id,
                                            originators=originators, statement=statement,
                                            actor=f"kasse:{caller.name}")
