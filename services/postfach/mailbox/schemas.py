"""The ZBP payloads as pydantic models with the reference's field limits: the message_v6 content, the status_v6
update, and what the API answers. Field names are ZBP's own (``stork_qaa_level`` included)."""

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from kit.schemas import Date, Timestamp, WireModel

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


# --- Answers (as the API writes them; ``stork_qaa_level`` is ZBP's own spelling) ------------------------------------


class BekanntgabeOut(WireModel):
    """When the message counts as delivered: ``date`` once known; ``retrievalDeadline`` under § 41 Abs. 2a VwVfG."""

    rule: Literal["ozg9", "vwvfg41_2a", "none"]
    status: Literal["pending", "bekanntgegeben", "not_delivered"]
    date: Date | None
    retrievalDeadline: Timestamp | None = None


class SentMessage(WireModel):
    """A delivered message_v6: its id, the mailbox, when it was made available, and its Bekanntgabe."""

    messageId: str
    mailboxUuid: str
    providedAt: Timestamp
    bekanntgabe: BekanntgabeOut


class SentMessageState(WireModel):
    """The delivery state of a message, for its sender."""

    messageId: str
    mailboxUuid: str
    title: str | None
    providedAt: Timestamp
    notifiedAt: Timestamp | None
    retrievedAt: Timestamp | None
    bekanntgabe: BekanntgabeOut


class ProofEvent(WireModel):
    seq: int
    kind: str = Field(description="provided, notified, retrieved, confirmation_sent, bekanntgabe_reached, "
                                  "bekanntgabe_expired, replied")
    at: Timestamp
    # The facts differ by kind (who sent it, where the confirmation went, the reply's channel ...); they are part
    # of the hashed link and answered exactly as recorded.
    data: dict[str, Any] = Field(description="Facts of the event, by kind; covered by the hash")
    prevHash: str
    hash: str


class MessageProof(WireModel):
    """The message's hash-chained trail: each ``hash`` is ``algorithm`` over the previous hash and the event."""

    messageId: str
    mailboxUuid: str
    algorithm: str
    genesis: str = Field(description="The prevHash of the first event")
    head: str = Field(description="The hash of the last event")
    events: list[ProofEvent]


class StatusUpdateOut(WireModel):
    """A status_v6 update as received: its fields as sent (members left out stay out), and who sent it when."""

    statusId: str
    applicationId: str
    status: Literal["INITIATED", "SUBMITTED", "RECEIVED", "PROCESSING", "ACTION_REQUIRED", "COMPLETED"]
    publicServiceName: GermanText
    senderName: str
    createdDate: str
    statusDetails: GermanText | None = None
    additionalInformation: GermanText | None = None
    reference: str | None = None
    receivedAt: Timestamp
    sender: str = Field(description="The sending client")


class StatusList(WireModel):
    applicationId: str
    statusUpdates: list[StatusUpdateOut]


class OwnMailbox(WireModel):
    mailboxUuid: str
    sessionLevel: int = Field(description="The STORK level of the login")
    displayName: str | None
    messageCount: int


class AttachmentOut(WireModel):
    attachmentId: str
    filename: str
    mediaType: str
    contentLength: int
    sha512sum: str


class MailboxMessage(WireModel):
    """A message in a mailbox. Locked (above the session's level): title and state only, the other members are
    left out. ``attachments`` in lists and reads, ``content`` only when the message is read."""

    messageId: str
    mailboxUuid: str
    title: str | None
    stork_qaa_level: int
    locked: bool
    providedAt: Timestamp | None
    readAt: Timestamp | None
    retrievedAt: Timestamp | None
    bekanntgabe: BekanntgabeOut
    sender: str | None = None
    service: str | None = None
    applicationId: str | None = None
    reference: str | None = None
    senderUrl: str | None = None
    replyPossible: bool | None = None
    direction: Literal["inbound", "reply"] | None = None
    inReplyTo: str | None = None
    attachments: list[AttachmentOut] | None = None
    content: str | None = None


class MessagePage(WireModel):
    mailboxUuid: str
    offset: int
    limit: int
    totalCount: int
    messages: list[MailboxMessage]


class ReadMark(WireModel):
    messageId: str
    readAt: Timestamp | None


class ReplySent(WireModel):
    replyId: str
    channel: Literal["mailbox", "email", "https"]
    to: str
    sentAt: Timestamp
