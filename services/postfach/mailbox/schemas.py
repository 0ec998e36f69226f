"""The ZBP payloads as pydantic models with the reference's field limits: the message_v6 content, the status_v6
update, and what the API answers. Field names are ZBP's own (``stork_qaa_level`` included)."""

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_MAIL = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_SHA512_HEX = r"^[0-9a-f]{128}$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
STATUSES = ("INITIATED", "SUBMITTED", "RECEIVED", "PROCESSING", "ACTION_REQUIRED", "COMPLETED")


def address_kind(value: str) -> Literal["url", "mail", "mailbox"] | None:
    """What a retrievalConfirmationAddress / replyAddress points at: an HTTPS URL, an e-mail address, or a
    mailbox UUID (a Behördenpostfach); None if it is none of them. Plain http is accepted for loopback hosts only,
    so a developer's local receiver works without TLS."""
    if " " not in value and ((value.startswith("https://") and len(value) > len("https://"))
                             or (urlsplit(value).scheme == "http" and urlsplit(value).hostname in _LOOPBACK)):
        return "url"
    if _MAIL.fullmatch(value):
        return "mail"
    if re.fullmatch(_UUID, value):
        return "mailbox"
    return None


class AttachmentRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    sha512sum: str = Field(pattern=_SHA512_HEX, description="lower-case hex SHA-512 of the file's bytes")
    contentLength: StrictInt = Field(ge=0)

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if any(c in value for c in "/\\\x00") or value in (".", ".."):
            raise ValueError("a filename, not a path")
        return value


def _address(value: str | None) -> str | None:
    if value is not None and address_kind(value) is None:
        raise ValueError("an https:// URL, an e-mail address or a mailbox UUID")
    return value


class MessageV6(BaseModel):
    """The ``content`` of a message_v6 envelope."""

    model_config = ConfigDict(extra="forbid")

    mailboxUuid: str = Field(pattern=_UUID)
    stork_qaa_level: Annotated[StrictInt, Field(ge=1, le=4)]
    sender: str = Field(min_length=1, max_length=255)
    title: str = Field(min_length=1, max_length=1024)
    content: str = Field(min_length=1)
    service: str | None = Field(None, max_length=255)
    applicationId: str | None = Field(None, pattern=_UUID)
    retrievalConfirmationAddress: str | None = Field(None, max_length=320)
    replyAddress: str | None = Field(None, max_length=320)
    reference: str | None = Field(None, max_length=255)
    senderUrl: str | None = Field(None, max_length=255)
    attachments: list[AttachmentRef] = Field(default_factory=list)

    _addresses = field_validator("retrievalConfirmationAddress", "replyAddress")(_address)


class GermanText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    de: str = Field(min_length=1)


def _limited(max_length: int) -> Any:
    def check(value: GermanText | None) -> GermanText | None:
        if value is not None and len(value.de) > max_length:
            raise ValueError(f"de has at most {max_length} characters")
        return value
    return check


class StatusV6(BaseModel):
    """The ``content`` of a status_v6 envelope: the state of an application as the citizen's account shows it."""

    model_config = ConfigDict(extra="forbid")

    applicationId: str = Field(pattern=_UUID)
    status: Literal["INITIATED", "SUBMITTED", "RECEIVED", "PROCESSING", "ACTION_REQUIRED", "COMPLETED"]
    publicServiceName: GermanText
    senderName: str = Field(min_length=1, max_length=100)
    createdDate: str = Field(min_length=10, max_length=40, description="ISO 8601 date-time")
    statusDetails: GermanText | None = None
    additionalInformation: GermanText | None = None
    reference: str | None = Field(None, max_length=50)

    _public_service = field_validator("publicServiceName")(_limited(100))
    _details = field_validator("statusDetails")(_limited(50))
    _additional = field_validator("additionalInformation")(_limited(100))


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, max_length=1024)
    content: str = Field(min_length=1, max_length=100_000)


class MailboxIn(BaseModel):
    """An authority mailbox (Behördenpostfach) created through the emulator controls."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"ars": "073350000000", "name": "Stadt Kaiserslautern", "readers": ["demo-fachverfahren"]}]})

    ars: str = Field(pattern=r"^\d{12}$")
    name: str = Field(min_length=1, max_length=255)
    readers: list[str] = Field(default_factory=list, max_length=50)
