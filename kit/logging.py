"""Structured logs (one JSON object a line) that carry the request id of the request being served."""

import contextvars
import json
import logging
import re
import sys
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
access_log = logging.getLogger("basisdienste.access")


def current_request_id() -> str | None:
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
        handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Their INFO lines repeat what the access log says (httpx) or are start-up chatter (alembic).
    for name in ("httpx", "alembic"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


class RequestContextMiddleware:
    """Give every request an ``X-Request-ID`` (the caller's, when it is sane), echo it, and log one access line."""

    def __init__(self, app: ASGIApp, *, log_access: bool = True) -> None:
        self.app = app
        self.log_access = log_access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        headers = scope["headers"]
        for key, value in headers:
            if key == b"x-request-id":
                candidate = value.decode("latin-1")
                if _VALID_REQUEST_ID.fullmatch(candidate):
                    request_id = candidate
                break
        if request_id is None:
            request_id = uuid.uuid4().hex
            scope = dict(scope)
            scope["headers"] = [*(h for h in headers if h[0] != b"x-request-id"),
                                (b"x-request-id", request_id.encode())]
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 0
        raw_id = request_id.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*(h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"),
                                      (b"x-request-id", raw_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_access:
                access_log.info(
                    "%s %s %s", scope["method"], scope["path"], status,
                    extra={"fields": {"method": scope["method"], "path": scope["path"], "status": status,
                                      "ms": round((time.perf_counter() - started) * 1000, 2)}},
                )
            _request_id.reset(token)
