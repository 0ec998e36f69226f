"""Request bodies of the Submission API, parsed so that a malformed one is answered with a FIT-Connect problem."""

import json
from typing import Any, TypeVar
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.postfach.fitconnect.problems import fc_problem

M = TypeVar("M", bound=BaseModel)


class ServiceRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    identifier: str = Field(min_length=1, max_length=255)
    name: str = Field("", max_length=255)


class CreateSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore")

    destinationId: UUID
    announcedAttachments: list[str] = Field(default_factory=list)
    publicService: ServiceRef | None = None  # v2
    serviceType: ServiceRef | None = None  # v1
    region: str | None = Field(None, max_length=64)
    bidirectional: bool = False


class SubmitSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore")

    encryptedMetadata: str = Field(min_length=1)
    encryptedData: str | None = None


class CreateReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    caseId: UUID
    announcedAttachments: list[str] = Field(default_factory=list)


async def parse(request: Request, model: type[M]) -> M:
    raw = await request.body()
    try:
        document: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fc_problem(400, "validation-error", "The request body is not valid JSON.") from exc
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        errors = [{"pointer": "/" + "/".join(str(p) for p in e["loc"]), "detail": e["msg"]} for e in exc.errors()]
        raise fc_problem(422, "validation-error", "The request body does not match the operation's schema.",
                         errors=errors) from exc
