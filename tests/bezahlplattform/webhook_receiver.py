"""An online service's webhook endpoint, as its developers would write it from the platform's documentation: it
verifies ``Bezahlplattform-Signature`` (``t=…,v1=…``, HMAC-SHA256 over ``"<t>." + body``, constant-time compare,
timestamp tolerance), answers 400 to anything unsigned or forged, and dedupes events by their id."""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.browser import free_port


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: float) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("v1", "")):
        return False
    return abs(now - timestamp) <= tolerance


class WebhookReceiver:
    def __init__(self, secret: str, *, tolerance: float = 300, now: Callable[[], float] = time.time) -> None:
        self.secret = secret
        self.tolerance = tolerance
        self.now = now
        self.events: dict[str, dict[str, Any]] = {}
        self.deliveries = 0
        self.duplicates = 0
        self.rejected = 0
        self.fail_with: int | None = None  # answer this status instead of accepting (the receiver is "down")
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, port: int | None = None) -> str:
        app = web.Application()
        app.router.add_post("/webhooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = port or free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/webhooks"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.deliveries += 1
        body = await request.read()
        if not verify(self.secret, request.headers.get("Bezahlplattform-Signature", ""), body, now=self.now(),
                      tolerance=self.tolerance):
            self.rejected += 1
            return web.Response(status=400, text="bad signature")
        if self.fail_with is not None:
            return web.Response(status=self.fail_with, text="receiver unavailable")
        event = json.loads(body)
        if event["id"] in self.events:
            self.duplicates += 1  # at-least-once: a redelivery is acknowledged and ignored
        else:
            self.events[event["id"]] = event
        return web.Response(status=204)

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events.values() if e["type"] == type_]

    def for_transaction(self, transaction_id: str) -> list[str]:
        return [e["type"] for e in sorted(self.events.values(), key=lambda e: e["created"])
                if e["data"]["object"]["paymentInformation"]["transactionId"] == transaction_id]

    async def wait_for(self, predicate: Callable[["WebhookReceiver"], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"webhooks did not arrive in time: {[e['type'] for e in self.events.values()]}")
            await asyncio.sleep(0.05)
