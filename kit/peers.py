"""How a service (or the gateway) reaches another service: one HTTP client, two topologies.

Embedded (``basisdienste up``) the peer is an ASGI app in the same process and the call never touches a socket;
in compose the peer is a URL from ``BASISDIENSTE_<SERVICE>_URL``. Callers write the same ``client.get("/path")``
in both (house rule 3).
"""

import httpx
from starlette.types import ASGIApp

from kit.logging import current_request_id


class PeerUnavailable(LookupError):
    pass


async def _propagate_request_id(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id and "x-request-id" not in request.headers:
        request.headers["X-Request-ID"] = request_id


class Peers:
    def __init__(
        self,
        urls: dict[str, str] | None = None,
        apps: dict[str, ASGIApp] | None = None,
        *,
        timeout: float = 10.0,
        control_token: str | None = None,
    ) -> None:
        self.urls = dict(urls or {})
        self.apps = dict(apps or {})
        self.timeout = timeout
        self.control_token = control_token
        self._clients: dict[str, httpx.AsyncClient] = {}

    def register_app(self, name: str, app: ASGIApp) -> None:
        self.apps[name] = app

    def is_local(self, name: str) -> bool:
        return name not in self.urls and name in self.apps

    def client(self, name: str) -> httpx.AsyncClient:
        """The client for service ``name``; paths are the service's own (``/health``), not the gateway's."""
        client = self._clients.get(name)
        if client is None:
            client = self._clients[name] = self._new_client(name)
        return client

    def _new_client(self, name: str) -> httpx.AsyncClient:
        hooks = {"request": [_propagate_request_id]}
        if name in self.urls:
            return httpx.AsyncClient(base_url=self.urls[name], timeout=self.timeout, event_hooks=hooks)
        if name in self.apps:
            transport = httpx.ASGITransport(app=self.apps[name], client=("127.0.0.1", 0))
            return httpx.AsyncClient(
                transport=transport, base_url=f"http://{name}", timeout=self.timeout, event_hooks=hooks)
        raise PeerUnavailable(f"service {name!r} is neither in this process nor configured by "
                              f"BASISDIENSTE_{name.upper()}_URL")

    def control_headers(self) -> dict[str, str]:
        """Headers that let this process use a remote service's emulator controls."""
        return {"Authorization": f"Bearer {self.control_token}"} if self.control_token else {}

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
