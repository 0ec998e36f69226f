"""A callback receiver as a Fachverfahren would run it (aiohttp, on a free loopback port): it checks
``callback-authentication`` (hex HMAC-SHA512 over ``timestamp + "." + body``) in constant time, refuses
timestamps older than 5 minutes and requests it has seen before, and can be told to fail the next N calls."""

import hashlib
import hmac
import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_AGE_SECONDS = 300


@dataclass
class CallbackReceiver:
    secret: str
    fail_next: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    raw: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fitconnect/callback"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.raw.append((headers, body))
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=503, text="vorübergehend nicht erreichbar")
        timestamp = headers.get("callback-timestamp", "")
        signature = headers.get("callback-authentication", "")
        expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha512).hexdigest()
        if not hmac.compare_digest(expected, signature):
            self.refused.append("signature")
            return web.Response(status=401, text="bad signature")
        if not timestamp.isdigit() or time.time() - int(timestamp) > MAX_AGE_SECONDS:
            self.refused.append("stale")
            return web.Response(status=401, text="stale")
        if signature in self._seen:
            self.refused.append("replay")
            return web.Response(status=409, text="replayed")
        self._seen.add(signature)
        self.received.append(json.loads(body))
        return web.Response(status=200)

    async def start(self) -> "CallbackReceiver":
        app = web.Application()
        app.router.add_post("/fitconnect/callback", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
