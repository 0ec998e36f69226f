"""kit.identity against the real Nutzerkonto of the suite: a service gets client-credentials tokens for another
service, and that service's verifier accepts them only for itself."""

import datetime as dt

import pytest

from gateway.app import Gateway
from kit.clock import Clock
from kit.identity import NutzerkontoVerifier, ServiceCredentials
from kit.problems import Problem


async def test_a_service_token_is_accepted_by_its_audience_only(suite: Gateway) -> None:
    clock = Clock()
    credentials = ServiceCredentials(suite.peers, clock, "bescheid", "bescheid-secret")
    token = await credentials.token("postfach")
    assert await credentials.token("postfach") == token  # cached

    claims = await NutzerkontoVerifier(suite.peers, clock, audience="postfach").verify(token)
    assert claims["client_id"] == "bescheid"
    with pytest.raises(Problem) as refused:
        await NutzerkontoVerifier(suite.peers, clock, audience="bezahlplattform").verify(token)
    assert refused.value.status == 401


async def test_a_cached_token_is_renewed_when_the_clock_passes_its_expiry(suite: Gateway) -> None:
    clock = Clock()
    credentials = ServiceCredentials(suite.peers, clock, "bescheid", "bescheid-secret")
    first = await credentials.token("postfach")
    clock.advance(dt.timedelta(days=1))
    assert await credentials.token("postfach") != first


async def test_wrong_secret_is_a_clear_problem(suite: Gateway) -> None:
    credentials = ServiceCredentials(suite.peers, Clock(), "bescheid", "not-the-secret")
    with pytest.raises(Problem) as refused:
        await credentials.token("postfach")
    assert refused.value.status == 502
