"""Serves the metadata schemas, so subscribers (and the test subscriber) validate with the schema of the
version the metadata's ``$schema`` names."""

from typing import Any

from fastapi import APIRouter

from services.postfach.fitconnect.metadata.schema import metadata_schema
from services.postfach.fitconnect.problems import fc_problem
from services.postfach.fitconnect.schemas import JsonSchemaDocument
from services.postfach.fitconnect.state import PREFIX

router = APIRouter(prefix=f"{PREFIX}/schema", tags=["FIT-Connect schemas"])


# A JSON Schema document, answered as written (``$schema``, ``$id`` and member order): documented, not re-serialised.
@router.get("/metadata/{version}/metadata.schema.json", name="fitconnect_metadata_schema", response_model=None,
            responses={200: {"model": JsonSchemaDocument, "description": "The metadata schema of this version"}})
async def schema(version: str) -> dict[str, Any]:
    try:
        return metadata_schema(version)
    except KeyError as exc:
        raise fc_problem(404, "schema-not-found", f"No metadata schema {version}.") from exc
