"""A fixed-window request limit per client address for the routing API, which announces it with the
``RateLimit-Limit``/``-Remaining``/``-Reset`` headers (draft-ietf-httpapi-ratelimit-headers) and answers 429
beyond it. Windows are wall-clock (monotonic): a rate limit is about load, not business time."""

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining),
                "RateLimit-Reset": str(self.reset_seconds)}


class WindowLimiter:
    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self.limit = 120
        self.window = 60.0
        self._windows: dict[str, tuple[float, int]] = {}

    def configure(self, limit: int, window_seconds: float) -> None:
        self.limit, self.window = limit, float(window_seconds)
        self._windows.clear()

    def clear(self) -> None:
        self._windows.clear()

    def take(self, client: str) -> Verdict:
        now = time.monotonic()
        started, used = self._windows.get(client, (now, 0))
        if now - started >= self.window:
            started, used = now, 0
        if len(self._windows) >= self.MAX_CLIENTS and client not in self._windows:
            self._windows = {c: w for c, w in self._windows.items() if now - w[0] < self.window}
        reset = max(1, math.ceil(started + self.window - now))
        if used >= self.limit:
            self._windows[client] = (started, used)
            return Verdict(False, self.limit, 0, reset)
        self._windows[client] = (started, used + 1)
        return Verdict(True, self.limit, self.limit - used - 1, reset)
