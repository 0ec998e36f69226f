"""Where the gateway sends ``/<service>/...``: an ASGI app in this process, or a service at a URL.

Both stream request and response bodies, strip hop-by-hop headers (RFC 9110 §7.6.1), and turn an upstream that
fails or stays silent before answering into a 502 or 504 problem naming the service.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

log = logging.getLogger("basisdienste.gateway")

HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"proxy-connection",
    b"te", b"trailer", b"transfer-encoding", b"upgrade",
})


def end_to_end(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Drop hop-by-hop headers, including those the Connection header names."""
    listed: set[bytes] = set()
    for key, value in headers:
        if key.lower() == b"connection":
            listed.update(token.strip().lower() for token in value.split(b","))
    return [(k, v) for k, v in headers if (lk := k.lower()) not in HOP_BY_HOP and lk not in listed]


async def send_problem(send: Send, status: int, slug: str, title: str, detail: str, service: str) -> None:
    body = json.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail,
                       "service": service}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class LocalUpstream:
    """A service app in this process: the request goes straight into it, under ``root_path=/<service>``."""

    def __init__(self, name: str, app: ASGIApp, *, timeout: float) -> None:
        self.name = name
        self.app = app
        self.timeout = timeout
        self.prefix = f"/{name}"

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = dict(scope)
        scope["root_path"] = scope.get("root_path", "") + self.prefix
        scope["headers"] = end_to_end(scope["headers"])
        started = False
        deadline = asyncio.timeout(self.timeout)

        async def send_upstream(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                deadline.reschedule(None)  # the answer has begun; a long stream is not a timeout
                message = {**message, "headers": end_to_end(list(message.get("headers", [])))}
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, send_upstream)
        except TimeoutError:
            if started:
                raise
            await send_problem(send, 504, "upstream-timeout", "Gateway Timeout",
                               f"{self.name} did not answer within {self.timeout:g} s.", self.name)
        except Exception:
            if started:
                # The service already answered (its own 500 problem); the exception is only being reported.
                log.exception("%s failed after answering", self.name)
                return
            log.exception("%s failed before answering", self.name)
            await send_problem(send, 502, "upstream-failed", "Bad Gateway",
                               f"{self.name} failed before answering.", self.name)


class RemoteUpstream:
    """A service at a URL (compose): the request is re-sent over HTTP without the ``/<service>`` prefix."""

    def __init__(self, name: str, base_url: str, *, timeout: float) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.prefix = f"/{name}"
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
        )

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"][len(self.prefix):] or "/"
        query = scope.get("query_string", b"")
        url = self.base_url + path + ("?" + query.decode("latin-1") if query else "")
        headers = end_to_end(list(scope["headers"]))
        headers = [(k, v) for k, v in headers if k != b"host"]
        client_host = scope["client"][0] if scope.get("client") else ""
        headers += [(b"x-forwarded-for", client_host.encode()), (b"x-forwarded-prefix", self.prefix.encode()),
                    (b"x-forwarded-proto", scope.get("scheme", "http").encode())]
        has_body = any(k in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                if chunk := message.get("body", b""):
                    yield chunk
                if not message.get("more_body", False):
                    return

        request = self.client.build_request(scope["method"], url, headers=headers,
                                            content=body() if has_body else None)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            await send_problem(send, 504, "upstream-timeout", "Gateway Timeout",
                               f"{self.name} did not answer within {self.timeout:g} s.", self.name)
            return
        except httpx.TransportError as exc:
            await send_problem(send, 502, "upstream-unreachable", "Bad Gateway",
                               f"{self.name} is unreachable: {type(exc).__name__}.", self.name)
            return
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": end_to_end(list(response.headers.raw))})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError:
            log.exception("%s broke off its answer", self.name)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

