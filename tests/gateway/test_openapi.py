"""One OpenAPI document for the suite, and docs that work without internet access."""

from urllib.parse import urljoin

import httpx
from openapi_spec_validator import validate

from gateway.app import Gateway
from kit.settings import SERVICE_NAMES


async def test_aggregated_openapi_is_valid_and_covers_every_service(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    validate(spec)
    paths = spec["paths"]
    for name in SERVICE_NAMES:
        assert f"/{name}/health" in paths
        assert f"{name.capitalize()}Problem" in spec["components"]["schemas"]
        assert not any(p.startswith(f"/{name}/_emulator") for p in paths)
    for control in ("/_emulator/reset", "/_emulator/clock", "/_emulator/seed", "/_emulator/faults", "/health"):
        assert control in paths
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op]
    assert len(operation_ids) == len(set(operation_ids))


async def test_errors_are_documented_as_problems(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    clock = spec["paths"]["/_emulator/clock"]["post"]["responses"]
    assert set(clock) >= {"200", "400", "422", "500"}
    assert clock["400"]["content"]["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem"
    service_spec = (await client.get("/postfach/openapi.json")).json()
    validate(service_spec)
    assert "HTTPValidationError" not in service_spec["components"]["schemas"]
    fault = service_spec["paths"]["/_emulator/postfach/faults"]["post"]["responses"]
    assert fault["422"]["content"]["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem"


async def test_docs_use_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "docs/static/swagger-ui-bundle.js" in page.text
    assert "cdn.jsdelivr" not in page.text
    script = await client.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    service_docs = await client.get("/postfach/docs")
    assert service_docs.status_code == 200
    assert "cdn.jsdelivr" not in service_docs.text
    assert (await client.get("/postfach/docs/static/swagger-ui.css")).status_code == 200


METHODS = ("get", "put", "post", "delete", "patch")
DUMMY = {"integer": "1", "number": "1", "boolean": "true"}


def _calls(spec: dict, document_url: str) -> list[tuple[str, str, dict[str, str]]]:
    """Every (method, URL, query) a document lists, with dummy values for the path and required query parameters;
    a path item's own ``servers`` win over the document's (OpenAPI 3.1 §4.8.9), relative ones resolve against
    the document's URL."""
    calls = []
    for path, item in spec["paths"].items():
        servers = item.get("servers") or spec.get("servers") or [{"url": "/"}]
        base = urljoin(document_url, servers[0]["url"]).rstrip("/")
        for method in METHODS:
            if method not in item:
                continue
            url, query = path, {}
            for parameter in [*item.get("parameters", []), *item[method].get("parameters", [])]:
                value = DUMMY.get(parameter.get("schema", {}).get("type"), "x")
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", value)
                elif parameter["in"] == "query" and parameter.get("required"):
                    query[parameter["name"]] = value
            calls.append((method.upper(), base + url, query))
    return calls


async def _answers_the_route(client: httpx.AsyncClient, method: str, url: str, query: dict[str, str]) -> str | None:
    """None if the route is there; else what was answered. Nobody serving the path is a 404 problem without a
    detail (the problem handlers' answer to Starlette's "Not Found"); a 404 with a detail or a page of its own
    comes from the operation (no such object for the dummy id). A 405 says the path has no such method."""
    body = {} if method in ("POST", "PUT", "PATCH") else None
    answer = await client.request(method, url, params=query, json=body, timeout=30)
    unrouted = (answer.status_code == 404 and answer.headers.get("content-type") == "application/problem+json"
                and "detail" not in answer.json())
    if unrouted or answer.status_code == 405:
        return f"{method} {url} -> {answer.status_code} {answer.text[:200]}"
    return None


async def test_every_documented_path_answers(suite: Gateway) -> None:
    """The aggregated document and each service's (read through the gateway, as Swagger UI reads it) list
    only paths that the suite serves, emulator controls included."""
    documents = ["/openapi.json", *(f"/{name}/openapi.json" for name in SERVICE_NAMES)]
    missing = []
    # A 500 answers too (a server sends it and logs the error); only a missing route counts here.
    transport = httpx.ASGITransport(app=suite, client=("127.0.0.1", 50000), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for document in documents:
            spec = (await client.get(document)).json()
            for method, url, query in _calls(spec, f"{client.base_url}{document}"):
                if (problem := await _answers_the_route(client, method, url, query)) is not None:
                    missing.append(f"{document}: {problem}")
    assert not missing, "\n".join(missing)


async def test_service_controls_are_listed_where_the_gateway_serves_them(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for name in SERVICE_NAMES:
        for control in ("reset", "clock", "seed", "faults", "outbox"):
            assert f"/_emulator/{name}/{control}" in paths
    assert "/_emulator/postfach/fitconnect/destinations" in paths
    service = (await client.get("/postfach/openapi.json")).json()
    assert service["servers"] == [{"url": "/postfach"}]
    assert "/_emulator/faults" not in service["paths"]
    faults = service["paths"]["/_emulator/postfach/faults"]
    assert faults["servers"] == [{"url": "/"}]
    validate(service)


async def test_a_service_read_directly_lists_its_own_paths(suite: Gateway) -> None:
    """In compose a service is read at its own URL (its controls answer there as they are), or through a gateway
    that says where it put the service (``X-Forwarded-Prefix``)."""
    app = suite.upstreams["postfach"].app
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://postfach") as direct:
        own = (await direct.get("/openapi.json")).json()
        assert "servers" not in own and "/_emulator/faults" in own["paths"]
        assert (await direct.get("/_emulator/faults")).status_code == 200
        forwarded = (await direct.get("/openapi.json", headers={"X-Forwarded-Prefix": "/postfach"})).json()
    assert forwarded["servers"] == [{"url": "/postfach"}]
    assert forwarded["paths"]["/_emulator/postfach/faults"]["servers"] == [{"url": "/"}]
    assert forwarded["paths"]["/health"] == own["paths"]["/health"]
