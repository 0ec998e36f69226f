"""Problem details for HTTP APIs (RFC 9457): every error a service or the gateway returns has this shape.

Services raise :class:`Problem` (or a subclass carrying a real platform's error code); the handlers installed by
:func:`install_problem_handlers` turn it, framework errors, validation errors and malformed bodies into
``application/problem+json``.
"""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "urn:basisdienste:problem:"

log = logging.getLogger("basisdienste.problems")


class ProblemDocument(BaseModel):
    """The JSON body of an RFC 9457 problem; extension members are allowed."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class Problem(Exception):
    """An error answered as problem details. ``type_`` is a URI; a bare slug gets the suite's URN prefix."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        type_: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        if type_ is None:
            self.type = "about:blank"
        elif ":" in type_:
            self.type = type_
        else:
            self.type = PROBLEM_BASE + type_
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(instance), status_code=problem.status, headers=problem.headers, media_type=PROBLEM_MEDIA_TYPE
    )


def _json_pointer(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header", "cookie") else list(loc)
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped) if escaped else ""


def validation_problem(exc: RequestValidationError) -> Problem:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return Problem(400, "The request body is not valid JSON.", type_="malformed-body", title="Malformed body")
    return Problem(
        422,
        "The request does not match the operation's schema.",
        type_="validation-error",
        title="Validation failed",
        errors=[
            {"in": e["loc"][0] if e.get("loc") else "body", "pointer": _json_pointer(tuple(e.get("loc", ()))),
             "detail": e.get("msg", "")}
            for e in errors
        ],
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request.url.path)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        phrase = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
        return problem_response(Problem(exc.status_code, detail, headers=exc.headers), request.url.path)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(validation_problem(exc), request.url.path)

    async def on_client_gone(request: Request, exc: Exception) -> JSONResponse:
        # The client hung up while sending its body: nobody will read this answer, and nothing is wrong here.
        log.info("client disconnected during %s %s", request.method, request.url.path)
        return problem_response(Problem(400, "The client disconnected before sending the whole request."))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(Problem(500, "The service failed unexpectedly."), request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(ClientDisconnect, on_client_gone)
    app.add_exception_handler(Exception, on_unexpected)


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem_response_doc(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}}


def _declares_own_body(response: dict[str, Any]) -> bool:
    """A route that documents its own error body (OAuth's ``{"error": ...}``) keeps it; FastAPI's defaults don't."""
    for media in response.get("content", {}).values():
        schema = media.get("schema", {})
        if schema and "HTTPValidationError" not in schema.get("$ref", ""):
            return True
    return False


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrite a generated OpenAPI document so that it tells the truth about errors.

    FastAPI documents 422 with its own body and not at all the 400 it sends for malformed JSON; here every 4xx/5xx
    response points to the Problem schema, operations with a body declare 400, and all declare 500.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = ProblemDocument.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, response in list(responses.items()):
                if code[0] in "45" and not _declares_own_body(response):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
            if "requestBody" in operation:
                responses.setdefault("400", _problem_response_doc("Malformed request body"))
            responses.setdefault("500", _problem_response_doc("Unexpected failure"))
    if not components:
        schema["components"].pop("schemas")
    return schema
