"""The JSON answers of the FIT-Connect part, with the member names of the FIT-Connect APIs: OAuth token, destinations
and their keys (JWK, RFC 7517), submissions and replies, the event log of SETs, and the routing API. Submission API
v1 names the service ``serviceType`` (destinations: ``services``), v2 ``publicService`` (``publicServices``)."""

from typing import Any, Literal

from pydantic import Field

from kit.schemas import OpenWireModel, WireModel


class AccessToken(WireModel):
    """Client credentials token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str = Field(description="The granted scopes (send-submissions or subscribe to destinations)")


class PublicKey(OpenWireModel):
    """A destination's (or the delivery service's) public RSA key: ``wrapKey`` with RSA-OAEP-256 for encryption,
    ``verify`` with PS512 for signatures."""

    kty: Literal["RSA"]
    e: str
    n: str
    kid: str
    alg: str = Field(examples=["RSA-OAEP-256", "PS512"])
    key_ops: list[Literal["wrapKey", "verify"]]


class KeySet(WireModel):
    """A JWK Set (RFC 7517 §5)."""

    keys: list[PublicKey]


class SubmissionSchema(WireModel):
    schemaUri: str
    mimeType: str


class PublicService(WireModel):
    """A Verwaltungsleistung the destination accepts: LeiKa URN, name, submission schemas, regions (DE + ARS)."""

    identifier: str
    name: str
    submissionSchemas: list[SubmissionSchema]
    regions: list[str]


class PostalAddress(WireModel):
    street: str
    houseNumber: str
    postalCode: str
    city: str


class ContactInformation(WireModel):
    legalName: str
    unit: str
    email: str
    phone: str
    address: PostalAddress


class EmailChannel(WireModel):
    usePgp: bool


class FitConnectChannel(WireModel):
    """The FIT-Connect reply channel; it has no parameters."""


class ReplyChannels(WireModel):
    eMail: EmailChannel | None = None
    fitConnect: FitConnectChannel | None = None


class CallbackState(WireModel):
    url: str
    secretSet: bool = Field(description="The secret is write-only: whether one is set, never its value")


class _Destination(WireModel):
    destinationId: str
    name: str
    status: Literal["active", "inactive"]
    encryptionKid: str | None
    metadataVersions: list[str]


class DestinationV1(_Destination):
    """A destination as Submission API v1 describes it."""

    services: list[PublicService]
    contactInformation: ContactInformation
    replyChannels: ReplyChannels
    callback: CallbackState | None = Field(
        None, description="Only for the destination's own subscriber (null when none is set)")


class DestinationV2(_Destination):
    """A destination as Submission API v2 describes it."""

    publicServices: list[PublicService]
    contactInformation: ContactInformation
    replyChannels: ReplyChannels
    callback: CallbackState | None = Field(
        None, description="Only for the destination's own subscriber (null when none is set)")


class SubmissionRef(WireModel):
    destinationId: str
    submissionId: str
    caseId: str


class SubmissionPage(WireModel):
    count: int
    offset: int
    totalCount: int
    submissions: list[SubmissionRef]


class ServiceRef(WireModel):
    identifier: str
    name: str


class Submission(WireModel):
    """A submission for its subscriber: the encrypted metadata and data (JWE compact) and the attachment ids.
    ``serviceType`` if it was made through v1, ``publicService`` through v2."""

    destinationId: str
    submissionId: str
    caseId: str
    serviceType: ServiceRef | None = None
    publicService: ServiceRef | None = None
    region: str | None
    bidirectional: bool
    attachments: list[str]
    encryptedMetadata: str | None
    encryptedData: str | None


class ReplyRef(WireModel):
    replyId: str
    caseId: str
    submissionId: str


class ReplyPage(WireModel):
    count: int
    offset: int
    totalCount: int
    replies: list[ReplyRef]


class SubmittedReply(WireModel):
    replyId: str
    caseId: str
    status: str


class Reply(WireModel):
    replyId: str
    caseId: str
    submissionId: str
    destinationId: str
    attachments: list[str]
    encryptedMetadata: str | None
    encryptedData: str | None


class EventLog(WireModel):
    eventLog: list[str] = Field(description="The case's Security Event Tokens (compact JWS), oldest first")


class DestinationParameters(WireModel):
    submissionUrl: str
    status: Literal["active", "inactive"]
    encryptionKid: str | None
    publicKeys: KeySet
    metadataVersions: list[str]
    replyChannels: ReplyChannels
    submissionSchemas: list[SubmissionSchema]


class Route(WireModel):
    destinationId: str
    destinationName: str
    destinationLogo: None
    destinationSignature: str = Field(description="PS512 JWT of the delivery service over the route")
    destinationParameters: DestinationParameters


class RoutePage(WireModel):
    count: int
    offset: int
    totalCount: int
    routes: list[Route]


class Area(WireModel):
    id: str = Field(description="The area's ARS")
    name: str
    type: Literal["Stadt", "Landkreis"]


class AreaPage(WireModel):
    count: int
    offset: int
    totalCount: int
    areas: list[Area]


class RateLimit(WireModel):
    limit: int
    windowSeconds: float = Field(description="Written as a decimal number, e.g. 60.0")


class RoutingInfo(WireModel):
    name: str
    version: str
    submissionApiUrl: str
    rateLimit: RateLimit


class JsonSchemaDocument(OpenWireModel):
    """A JSON Schema (draft 2020-12) document; the FIT-Connect metadata schema of one version."""

    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    title: str
    type: Literal["object"]
    required: list[str]
    properties: dict[str, dict[str, Any]] = Field(description="Subschemas of the metadata's members")
