"""The controllable clock: every service reads time here so that tests can freeze and advance it.

Deadlines in the real platforms (Bekanntgabe after N days, 14-day auto-reject, token expiry) are only testable
when time is a setting. ``freeze`` pins the time, ``advance`` moves it (frozen or running), ``release`` returns to
wall-clock time.
"""

import datetime as dt
import time

UTC = dt.UTC


class Clock:
    def __init__(self) -> None:
        self._frozen_at: dt.datetime | None = None
        self._offset = dt.timedelta()

    def now(self) -> dt.datetime:
        """The current time, timezone-aware in UTC."""
        if self._frozen_at is not None:
            return self._frozen_at
        return dt.datetime.fromtimestamp(time.time(), UTC) + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset(self) -> dt.timedelta:
        return self._offset

    def freeze(self, at: dt.datetime | None = None) -> None:
        at = at or self.now()
        if at.tzinfo is None:
            raise ValueError("freeze needs a time with a UTC offset")
        self._frozen_at = at.astimezone(UTC)

    def advance(self, by: dt.timedelta) -> None:
        if self._frozen_at is not None:
            self._frozen_at += by
        else:
            self._offset += by

    def release(self) -> None:
        """Back to wall-clock time; an offset from ``advance`` is dropped too."""
        self._frozen_at = None
        self._offset = dt.timedelta()

    def state(self) -> dict[str, object]:
        return {
            "now": self.now().isoformat().replace("+00:00", "Z"),
            "frozen": self.frozen,
            "offset_seconds": self._offset.total_seconds(),
        }
