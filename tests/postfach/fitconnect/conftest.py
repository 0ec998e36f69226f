"""FIT-Connect tests: destination keys of 2048 bits (a fifth of the generation time of 4096) unless a test needs
the real size (the fitconnect SDK refuses keys under 4096 bits and creates its own destination)."""

import pytest


@pytest.fixture(autouse=True)
def _small_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASISDIENSTE_POSTFACH_FITCONNECT_KEY_BITS", "2048")
