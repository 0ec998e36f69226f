"""Fixtures of the intake tests: the SMTP channel stays off unless a test turns it on (its port is the machine's)."""

import pytest


@pytest.fixture(autouse=True)
def _no_smtp(_no_suite_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASISDIENSTE_RECHNUNGSEINGANG_SMTP_ENABLED", "false")
