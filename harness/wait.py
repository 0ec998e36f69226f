"""Waiting for what the suite does after answering: webhooks, mails and Postfach deliveries leave through the
persisted outbox, a moment later. ``wait_for`` polls a check until it answers something truthy."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], *, timeout: float = 10, interval: float = 0.05,
             message: str | None = None) -> T:
    """Call ``check`` until it answers a truthy value and answer that value; after ``timeout`` seconds raise
    ``TimeoutError`` with the last answer (or the exception ``check`` raised last), so a failure says what was
    seen instead of "timed out"."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = check()
        except AssertionError as exc:  # a check written as assertions: keep polling, report the last one
            last = exc
        else:
            if value:
                return value
            last = value
        if time.monotonic() >= deadline:
            what = message or getattr(check, "__name__", "the check")
            raise TimeoutError(f"{what} did not hold within {timeout:g} s; last: {last!r}")
        time.sleep(interval)
