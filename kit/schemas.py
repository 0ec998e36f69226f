"""Response bodies every service shares and the pieces to declare the others in OpenAPI, so that generated clients
get types: a base for wire-exact JSON bodies, the health answer, and ``responses=`` entries for answers that are not
JSON (pages, XML, PDF, certificates) or that a route sends as a ``Response`` of its own."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class WireModel(BaseModel):
    """A JSON body exactly as the wire has it: fields spelt as the real interface spells them, in the order the
    route writes them, and no member the model does not name (a route that starts to answer one fails its tests
    with a response validation error instead of silently losing it).

    Routes that return a dict through such a model use ``response_model_exclude_unset=True``: a member the dict
    leaves out stays out, one it sets to ``None`` stays ``null``, exactly as before the model existed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class OpenWireModel(WireModel):
    """A body whose standard allows members beyond the ones named (OIDC metadata, JWKs, RFC 7662 introspection,
    JSON Schema documents): the named ones are typed, others pass through."""

    model_config = ConfigDict(extra="allow")


# A timestamp as the route writes it (RFC 3339 text); typed ``str`` so that re-serialising never changes its form
# (``Z`` against ``+00:00``, fractions of a second).
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Date = Annotated[str, Field(json_schema_extra={"format": "date"})]
# Amounts and other numbers that a route writes as integers or as decimals, whichever they are (a float field
# would turn 12 into 12.0).
Number = int | float


class HealthChecks(WireModel):
    database: Literal["pass"]


class Health(WireModel):
    """``GET /health`` when the service can do its work; 503 with a problem when not."""

    status: Literal["pass"]
    service: str
    checks: HealthChecks
    database_ms: float = Field(description="Time the database took to answer the ping")
    time: Timestamp = Field(description="The service's business time (the kit clock)")


def text_body(media_type: str, description: str, *, example: str | None = None) -> dict[str, Any]:
    """A ``responses=`` entry for a text answer (HTML, XML, CSV, PEM)."""
    media: dict[str, Any] = {"schema": {"type": "string"}}
    if example is not None:
        media["example"] = example
    return {"description": description, "content": {media_type: media}}


def binary_body(media_type: str, description: str) -> dict[str, Any]:
    """A ``responses=`` entry for a binary answer (PDF, DER certificates, CRL, OCSP and timestamp replies)."""
    return {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}

