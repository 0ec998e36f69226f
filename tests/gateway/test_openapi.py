"""One OpenAPI document for the suite, and docs that work without internet access."""

import httpx
from openapi_spec_validator import validate

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
    fault = service_spec["paths"]["/_emulator/faults"]["post"]["responses"]
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
