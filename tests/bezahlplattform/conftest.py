"""Fixtures of the Bezahlplattform tests. Most tests talk to the Bezahlplattform alone (``bp``: the service app as
``basisdienste serve bezahlplattform`` runs it, started in-process), which starts in a fraction of the whole suite's
time; tests that need the Nutzerkonto (bearer tokens) use the suite's ``client`` through the gateway."""

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.suite import service_app
from kit.settings import SuiteSettings
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, basic
from tests.conftest import client_for

KOBLENZ = "071110000000"
PARKING = ("bewohnerparkausweis", "bewohnerparkausweis-071110000000", "bewohnerparkausweis-secret")


@pytest.fixture
async def bp_app(suite_settings: Callable[..., SuiteSettings]) -> AsyncIterator[object]:
    app = service_app("bezahlplattform", suite_settings(), access_log=False)
    async with LifespanManager(app, startup_timeout=60):
        yield app


@pytest.fixture
async def bp(bp_app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(bp_app) as http:
        yield http


@pytest.fixture
async def parking(bp: httpx.AsyncClient) -> XBezahldiensteClient:
    originator, user, password = PARKING
    return XBezahldiensteClient(bp, "", originator, KOBLENZ, basic(user, password))


def office_client(http: httpx.AsyncClient, originator: str, base: str = "") -> XBezahldiensteClient:
    """The client of one seeded Koblenz online service, with its Basic credentials."""
    return XBezahldiensteClient(http, base, originator, KOBLENZ, basic(f"{originator}-{KOBLENZ}",
                                                                       f"{originator}-secret"))


async def bearer(client: httpx.AsyncClient, client_id: str = "demo-fachverfahren") -> dict[str, str]:
    response = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials",
                                                             "resource": "bezahlplattform"},
                                 auth=(client_id, f"{client_id}-secret"))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
