"""Routes of the XBezahldienste API answer validation errors as the standard does: a problem with
``functionalCode: VALIDATION_ERROR`` naming each bad field by JSON pointer (instead of the kit's plain 422)."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from services.bezahlplattform.errors import xbd_problem


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts) if parts else ""


def validation_problem(exc: RequestValidationError) -> Exception:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return xbd_problem("VALIDATION_ERROR", "The request body is not valid JSON.")
    listed = [{"pointer": _pointer(tuple(e.get("loc", ()))), "detail": e.get("msg", "")} for e in errors]
    summary = "; ".join(f"{e['pointer'] or '/'}: {e['detail']}" for e in listed[:5])
    return xbd_problem("VALIDATION_ERROR", f"The request is not valid: {summary}.", errors=listed)


class XBezahldiensteRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                raise validation_problem(exc) from None

        return route_handler
