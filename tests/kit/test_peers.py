"""A service reaches another the same way in both topologies: in-process ASGI, or a URL."""

import httpx
import pytest

from kit.logging import _request_id
from kit.peers import Peers, PeerUnavailable
from tests.gateway.echo import echo_app, serving


@pytest.mark.parametrize("topology", ["embedded", "compose"])
async def test_same_call_in_both_topologies_carries_the_request_id(topology: str) -> None:
    app = echo_app()
    async with serving(app) as url:
        peers = Peers(urls={"echo": url}) if topology == "compose" else Peers(apps={"echo": app})
        token = _request_id.set("req-from-the-form")
        try:
            seen = (await peers.client("echo").get("/headers", params={"q": "1"})).json()
        finally:
            _request_id.reset(token)
            await peers.aclose()
    assert seen["headers"]["x-request-id"] == "req-from-the-form"
    assert seen["path"] == "/headers" and seen["query"] == "q=1"


async def test_a_url_wins_over_an_in_process_app() -> None:
    peers = Peers(urls={"echo": "http://127.0.0.1:9"}, apps={"echo": echo_app()})
    assert not peers.is_local("echo")
    with pytest.raises(httpx.ConnectError):
        await peers.client("echo").get("/headers")
    await peers.aclose()


def test_an_unknown_peer_says_how_to_configure_it() -> None:
    with pytest.raises(PeerUnavailable, match="BASISDIENSTE_BESCHEID_URL"):
        Peers().client("bescheid")
