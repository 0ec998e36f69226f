"""Walks the hosted checkout as a browser would, but with plain HTTP form posts (fast; the Chromium tests walk a
few of the same paths in a real browser)."""

from urllib.parse import parse_qs, urlsplit

import httpx

PUBLIC = "http://127.0.0.1:8000/bezahlplattform"


def local(url: str, public: str = PUBLIC) -> str:
    """A public checkout URL as a path on the app under test (the service alone, or the gateway)."""
    return url.removeprefix(public) if url.startswith(public) else url


class Checkout:
    def __init__(self, http: httpx.AsyncClient, redirect_url: str, public: str = PUBLIC) -> None:
        self.http = http
        self.public = public
        self.url = local(redirect_url, public)

    async def choose(self, method: str) -> httpx.Response:
        return await self.http.post(self.url, data={"method": method, "action": "choose"})

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.http.post(local(path, self.public), data=data)

    async def pay_with(self, method: str, data: dict[str, str]) -> httpx.Response:
        chosen = await self.choose(method)
        assert chosen.status_code == 303, chosen.text
        return await self.post(chosen.headers["location"], data)


def back(response: httpx.Response) -> dict[str, str]:
    """The query the browser brings back to the online service's redirectUrl."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("https://onlinedienst.example/zahlung/zurueck?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
