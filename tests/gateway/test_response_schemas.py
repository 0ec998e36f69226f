"""Every public operation declares the schema of its 2xx answers, so that generated clients get types (issue 12).

A JSON answer needs a schema that says something: not missing, not ``{}``, and not a free-form object
(``dict[str, Any]`` gives ``{"type": "object", "additionalProperties": true}``, which a client generator turns into an
untyped map). Answers of other media types (HTML, XML, PDF, certificates) need their media type declared; a 2xx
answer without a body is accepted as 204/205, or when its description says "no body" (RFC 7009's 200 to a revocation).

Checked are the services' operations (``/<service>/...``) without their emulator controls; the gateway's own
routes (``/``, ``/health``, ``/_emulator``) are not a service's public API."""

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from kit.settings import SERVICE_NAMES

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _resolve(schema: Any, spec: dict[str, Any]) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec.get("components", {}).get("schemas", {}).get(name)
    return schema


def _typed(schema: Any, spec: dict[str, Any], depth: int = 0) -> bool:
    """Whether ``schema`` tells a client generator what the answer looks like."""
    schema = _resolve(schema, spec)
    if not isinstance(schema, dict) or not schema or depth > 20:
        return False
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return all(_typed(part, spec, depth + 1) for part in schema[combinator])
    kind = schema.get("type")
    if kind == "array":
        return _typed(schema.get("items"), spec, depth + 1)
    if kind == "object" or "properties" in schema:
        if schema.get("properties"):
            return True
        extra = schema.get("additionalProperties")
        return isinstance(extra, dict) and _typed(extra, spec, depth + 1)
    return isinstance(kind, str | list)


def _public_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The services' operations, without their emulator controls (``/<service>/_emulator/...``)."""
    operations = []
    for path, item in spec["paths"].items():
        if path.split("/")[1] not in SERVICE_NAMES or "/_emulator" in path:
            continue
        for method, operation in item.items():
            if method in _METHODS and isinstance(operation, dict):
                operations.append((method.upper(), path, operation))
    return operations


def _untyped_answers(spec: dict[str, Any]) -> list[str]:
    missing = []
    for method, path, operation in _public_operations(spec):
        for code, answer in operation.get("responses", {}).items():
            if not code.startswith("2"):
                continue
            content = answer.get("content")
            if not content:
                if code not in {"204", "205"} and "no body" not in answer.get("description", "").lower():
                    missing.append(f"{method} {path} {code}: no media type")
                continue
            for media_type, media in content.items():
                if _is_json(media_type) and not _typed(media.get("schema"), spec):
                    missing.append(f"{method} {path} {code} {media_type}: {media.get('schema')!r}")
    return missing


async def test_every_public_json_answer_has_a_schema(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    missing = _untyped_answers(spec)
    assert not missing, f"{len(missing)} public answers without a schema:\n" + "\n".join(missing)


def test_the_check_tells_typed_from_untyped() -> None:
    spec = {"components": {"schemas": {"Payment": {"type": "object", "properties": {"id": {"type": "string"}}}}}}
    assert _typed({"$ref": "#/components/schemas/Payment"}, spec)
    assert _typed({"type": "array", "items": {"$ref": "#/components/schemas/Payment"}}, spec)
    assert _typed({"type": "object", "additionalProperties": {"type": "string"}}, spec)
    assert not _typed({}, spec)
    assert not _typed(None, spec)
    assert not _typed({"type": "object", "additionalProperties": True}, spec)
    assert not _typed({"type": "array", "items": {"type": "object", "additionalProperties": True}}, spec)
    assert not _typed({"anyOf": [{"$ref": "#/components/schemas/Payment"}, {}]}, spec)


def test_every_service_is_checked() -> None:
    spec = {"paths": {f"/{name}/health": {"get": {"responses": {"200": {}}}} for name in SERVICE_NAMES}}
    spec["paths"]["/_emulator/reset"] = {"post": {"responses": {"200": {}}}}
    spec["paths"]["/postfach/_emulator/mails"] = {"get": {"responses": {"200": {}}}}
    assert len(_untyped_answers(spec)) == len(SERVICE_NAMES)


def _declared(spec: dict[str, Any], path: str, method: str, code: str, media_type: str) -> dict[str, Any]:
    schema = spec["paths"][path][method]["responses"][code]["content"][media_type]["schema"]
    # The document's components travel along, so that "#/components/schemas/..." resolves inside it.
    return {**schema, "components": spec["components"]}


# Answers anyone can fetch: what the declared schema says must be what the route answers.
_DOCUMENTS = [
    *((f"/{name}/health", f"/{name}/health", "application/json") for name in SERVICE_NAMES),
    ("/nutzerkonto/.well-known/openid-configuration", "/nutzerkonto/.well-known/openid-configuration",
     "application/json"),
    ("/nutzerkonto/.well-known/oauth-authorization-server", "/nutzerkonto/.well-known/oauth-authorization-server",
     "application/json"),
    ("/nutzerkonto/jwks", "/nutzerkonto/jwks", "application/jwk-set+json"),
    ("/postfach/fitconnect/submission-api/.well-known/jwks.json",
     "/postfach/fitconnect/submission-api/.well-known/jwks.json", "application/json"),
    ("/postfach/fitconnect/routing-api/v1/info", "/postfach/fitconnect/routing-api/v1/info", "application/json"),
    ("/postfach/fitconnect/routing-api/v1/areas", "/postfach/fitconnect/routing-api/v1/areas", "application/json"),
    ("/postfach/fitconnect/schema/metadata/2.1.0/metadata.schema.json",
     "/postfach/fitconnect/schema/metadata/{version}/metadata.schema.json", "application/json"),
]


@pytest.mark.basisdienste(reset=False)
@pytest.mark.parametrize(("url", "path", "media_type"), _DOCUMENTS, ids=[d[0] for d in _DOCUMENTS])
def test_public_documents_match_their_declared_schema(basisdienste_http: httpx.Client, url: str, path: str,
                                                      media_type: str) -> None:
    spec = basisdienste_http.get("/openapi.json").json()
    answer = basisdienste_http.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == media_type
    Draft202012Validator(_declared(spec, path, "get", "200", media_type)).validate(answer.json())


@pytest.mark.basisdienste(reset=False)
def test_a_token_matches_its_declared_schema(basisdienste_http: httpx.Client) -> None:
    spec = basisdienste_http.get("/openapi.json").json()
    # The seeded FIT-Connect sender client (GET /_emulator/seed lists it).
    answer = basisdienste_http.post("/postfach/fitconnect/token", data={
        "grant_type": "client_credentials", "client_id": "fitconnect-sender",
        "client_secret": "fitconnect-sender-secret"})
    assert answer.status_code == 200
    Draft202012Validator(_declared(spec, "/postfach/fitconnect/token", "post", "200", "application/json")).validate(
        answer.json())
