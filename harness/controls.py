"""The emulator controls of a running suite (``/_emulator/...`` on the gateway) as Python calls.

Every call is an HTTP request a test harness in any language could make; a problem answer raises
:class:`ControlError` with the suite's own detail.
"""

import datetime as dt
from typing import Any

import httpx


class ControlError(RuntimeError):
    def __init__(self, answer: httpx.Response) -> None:
        self.status_code = answer.status_code
        try:
            body: Any = answer.json()
        except ValueError:
            body = answer.text
        self.body = body
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {detail}")


def iso_duration(value: dt.timedelta | str) -> str:
    """``P1DT2H3M4S`` for a timedelta (the clock control takes ISO 8601 durations without years and months)."""
    if isinstance(value, str):
        return value
    if value < dt.timedelta():
        raise ValueError("the clock only moves forward")
    seconds = value.total_seconds()
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    time_part = "".join(f"{int(n)}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if secs:
        time_part += f"{secs:g}S"
    return f"P{int(days)}D" + (f"T{time_part}" if time_part else "")


class _Part:
    def __init__(self, controls: "Controls") -> None:
        self._controls = controls


class Clock(_Part):
    """The emulator clock every service reads business time from (token expiry, Bekanntgabe, deadlines)."""

    def now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.state()["now"])

    def state(self) -> dict[str, Any]:
        return self._controls.get("/_emulator/clock")

    def freeze(self, at: dt.datetime | str) -> dict[str, Any]:
        if isinstance(at, dt.datetime):
            if at.tzinfo is None:
                raise ValueError("give an aware datetime: the suite's clock has a timezone")
            at = at.isoformat()
        return self._controls.post("/_emulator/clock", {"freeze": at})

    def advance(self, by: dt.timedelta | str) -> dict[str, Any]:
        return self._controls.post("/_emulator/clock", {"advance": iso_duration(by)})

    def release(self) -> dict[str, Any]:
        return self._controls.post("/_emulator/clock", {"release": True})


class Faults(_Part):
    """Make a named operation of a service fail or slow down (``X-Emulator-Fault`` marks the answers)."""

    def add(self, service: str, operation: str, *, status: int | None = None, times: int | None = None,
            delay_ms: int | None = None, probability: float | None = None, type: str | None = None) -> dict[str, Any]:
        body = {"service": service, "operation": operation, "status": status, "times": times,
                "delay_ms": delay_ms, "probability": probability, "type": type}
        return self._controls.post("/_emulator/faults", {k: v for k, v in body.items() if v is not None})

    def list(self) -> list[dict[str, Any]]:
        return self._controls.get("/_emulator/faults")

    def clear(self, *, service: str | None = None, id: str | None = None) -> None:
        params = {k: v for k, v in (("service", service), ("id", id)) if v}
        self._controls.request("DELETE", "/_emulator/faults", params=params)


class Controls:
    def __init__(self, url: str, *, control_token: str | None = None, timeout: float = 30) -> None:
        headers = {"Authorization": f"Bearer {control_token}"} if control_token else {}
        self._http = httpx.Client(base_url=url, headers=headers, timeout=timeout)
        self.clock = Clock(self)
        self.faults = Faults(self)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self._http.request(method, path, **kwargs)
        if answer.status_code >= 400:
            raise ControlError(answer)
        if answer.status_code == 204 or not answer.content:
            return None
        return answer.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body)

    def reset(self) -> dict[str, Any]:
        """Every service empty and seeded again, faults cleared, the clock released."""
        return self.post("/_emulator/reset")

    def seed(self, service: str | None = None) -> dict[str, Any]:
        """The seeded test data (identities, clients and secrets, originators, authorities, destinations...)."""
        seed = self.get("/_emulator/seed")
        return seed[service] if service else seed

    def outbox(self, service: str, limit: int = 100) -> list[dict[str, Any]]:
        """What ``service`` sent or will send (webhooks, e-mails, callbacks) with attempts, newest first."""
        return self.get(f"/_emulator/{service}/outbox", limit=limit)

    def mails(self, service: str = "postfach") -> list[dict[str, Any]]:
        """The e-mails a service "sent": Postfach notifications, Rechnungseingang answers."""
        return self.get(f"/_emulator/{service}/mails")

    def webhooks(self) -> list[dict[str, Any]]:
        """The Bezahlplattform's webhooks with their delivery attempts."""
        return self.get("/_emulator/bezahlplattform/webhooks")

    def fitconnect_callbacks(self) -> list[dict[str, Any]]:
        return self.get("/_emulator/postfach/fitconnect/callbacks")

    def postfach_messages(self, mailbox_uuid: str) -> list[dict[str, Any]]:
        """The messages in one Postfach mailbox, with their Bekanntgabe."""
        return self.get(f"/_emulator/postfach/mailboxes/{mailbox_uuid}/messages")

    def close(self) -> None:
        self._http.close()
