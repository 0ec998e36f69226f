"""Per-client rate limit at the gateway: a token bucket per client address, in memory or shared in Redis.

A client over its rate gets 429 with ``Retry-After`` (RFC 9110 §10.2.3) and RateLimit headers
(draft-ietf-httpapi-ratelimit-headers). If Redis is unreachable the gateway lets requests through: the emulator
would rather be unlimited than down.
"""

import json
import logging
import math
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from kit.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE

log = logging.getLogger("basisdienste.gateway")


class MemoryBuckets:
    MAX_CLIENTS = 10_000

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    async def take(self, client: str) -> float:
        """Take one token; returns 0 when allowed, else the seconds until a token is available."""
        now = time.monotonic()
        tokens, updated = self._buckets.get(client, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - updated) * self.rate)
        if tokens >= 1:
            if len(self._buckets) >= self.MAX_CLIENTS and client not in self._buckets:
                self._forget_idle(now)
            self._buckets[client] = (tokens - 1, now)
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1 - tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {c: b for c, b in self._buckets.items() if now - b[1] < full_after}


# Token bucket in one atomic step: KEYS[1] bucket; ARGV rate, burst, now (ms). Returns wait in ms (0 = allowed).
_REDIS_TAKE = """
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = tonumber(bucket[1]) or burst
local updated = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + (now - updated) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate * 1000) end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'updated', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class RedisBuckets:
    def __init__(self, url: str, rate: float, burst: int) -> None:
        import redis.asyncio as redis

        self.rate = rate
        self.burst = burst
        self._redis = redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._take = self._redis.register_script(_REDIS_TAKE)

    async def take(self, client: str) -> float:
        try:
            wait_ms = await self._take(keys=[f"basisdienste:ratelimit:{client}"],
                                       # wall clock, not the kit clock: every gateway process must agree on it
                                       args=[self.rate, self.burst, int(time.time() * 1000)])
        except Exception as exc:  # Redis down: fail open, loudly
            log.warning("rate limit store unreachable, letting request through: %s", exc)
            return 0.0
        return int(wait_ms) / 1000

    async def aclose(self) -> None:
        await self._redis.aclose()


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, buckets: MemoryBuckets | RedisBuckets) -> None:
        self.app = app
        self.buckets = buckets
        self.policy = f"{buckets.burst};w={max(1, math.ceil(buckets.burst / buckets.rate))}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = await self.buckets.take(client)
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        body = json.dumps({"type": PROBLEM_BASE + "rate-limited", "title": "Too Many Requests", "status": 429,
                           "detail": f"More than {self.buckets.rate:g} requests a second from {client}; "
                                     f"retry in {retry_after} s."}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()), (b"ratelimit-policy", self.policy),
            (b"ratelimit", f"limit={self.buckets.burst}, remaining=0, reset={retry_after}".encode()),
        ]})
        await send({"type": "http.response.body", "body": body})
