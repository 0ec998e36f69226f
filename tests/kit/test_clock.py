import datetime as dt

import pytest

from kit.clock import Clock


def test_frozen_clock_stands_still_and_advances_on_demand() -> None:
    clock = Clock()
    clock.freeze(dt.datetime(2026, 5, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert clock.now() == dt.datetime(2026, 5, 1, 10, tzinfo=dt.UTC)
    clock.advance(dt.timedelta(days=3))
    assert clock.now() == dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC)
    assert clock.now().tzinfo is dt.UTC


def test_running_clock_keeps_an_offset_until_released() -> None:
    clock = Clock()
    clock.advance(dt.timedelta(days=10))
    assert clock.now() - dt.datetime.now(dt.UTC) > dt.timedelta(days=9, hours=23)
    clock.release()
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        Clock().freeze(dt.datetime(2026, 1, 1))
