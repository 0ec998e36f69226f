"""Where the gateway sends ``/<service>/...``: an ASGI app in this process, or a service at a URL.

Both stream request and response bodies, strip hop-by-hop headers (RFC 9110 §7.6.1), and turn an upstream that
fails or stays silent before answering into a 502 or 504 problem naming the service.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from multidict import CIMultiDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from yarl import URL

from kit.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

if TYPE_CHECKING:
    import aiohttp

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
    """A service at a URL (compose): the request is re-sent over HTTP without the ``/<service>`` prefix.

    aiohttp rather than httpx: measured here, httpx costs about ten times the CPU per proxied request
    (benchmarks/gateway), which alone would halve the gateway's throughput.
    """

    def __init__(self, name: str, base_url: str, *, timeout: float) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.prefix = f"/{name}"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> "aiohttp.ClientSession":
        # aiohttp is imported by the upstreams that use it (compose): `basisdienste up` starts 0.1 s sooner.
        import aiohttp

        if self._session is None:  # created on first use: a session belongs to the running event loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200, ttl_dns_cache=60),
                # A proxy passes bodies as they are, keeps no cookies between clients, follows no redirects.
                auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=min(self.timeout, 5.0),
                                              sock_read=self.timeout),
            )
        return self._session

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"][len(self.prefix):] or "/"
        query = scope.get("query_string", b"")
        url = self.base_url + path + ("?" + query.decode("latin-1") if query else "")
        headers = CIMultiDict((k.decode("latin-1"), v.decode("latin-1"))
                              for k, v in end_to_end(list(scope["headers"])) if k != b"host")
        client_host = scope["client"][0] if scope.get("client") else ""
        headers["X-Forwarded-For"] = client_host
        headers["X-Forwarded-Prefix"] = self.prefix
        headers["X-Forwarded-Proto"] = scope.get("scheme", "http")
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

        import aiohttp

        try:
            response = await self._client().request(
                scope["method"], URL(url, encoded=True), headers=headers, data=body() if has_body else None,
                allow_redirects=False, skip_auto_headers=_NO_AUTO_HEADERS)
        except (TimeoutError, aiohttp.ServerTimeoutError):
            await send_problem(send, 504, "upstream-timeout", "Gateway Timeout",
                               f"{self.name} did not answer within {self.timeout:g} s.", self.name)
            return
        except aiohttp.ClientError as exc:
            await send_problem(send, 502, "upstream-unreachable", "Bad Gateway",
                               f"{self.name} is unreachable: {type(exc).__name__}.", self.name)
            return
        try:
            await send({"type": "http.response.start", "status": response.status,
                        "headers": end_to_end(list(response.raw_headers))})
            async for chunk in response.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except (aiohttp.ClientError, TimeoutError):
            log.exception("%s broke off its answer", self.name)
        finally:
            response.release()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


# aiohttp adds these when absent; a proxy must not invent headers the client did not send.
_NO_AUTO_HEADERS = frozenset({"User-Agent", "Accept", "Accept-Encoding", "Content-Type"})
