"""Request and response bodies of the eID API: BSI TR-03130 ``useID`` and ``getResult`` carried as JSON, with
the element names of the TR (``UseOperations``, ``AgeVerificationRequest``, ``PersonalData``, ``Result``...)."""

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from services.nutzerkonto.eid.fields import LABELS, OPERATIONS

AttributeRequest = Literal["REQUIRED", "ALLOWED", "PROHIBITED"]

# One optional member per TR-03130 operation; a field left out is PROHIBITED, as in the TR's XML schema.
OperationsRequestorType = create_model(  # type: ignore[call-overload]
    "OperationsRequestorType",
    __config__=ConfigDict(extra="forbid"),
    __doc__="The data the service wants read from the card: REQUIRED, ALLOWED (optional) or PROHIBITED.",
    **{name: (AttributeRequest | None, Field(None, description=LABELS[name])) for name in OPERATIONS},
)


class AgeVerificationRequestType(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Age: int = Field(ge=1, le=150, description="Minimum age the card holder must have reached")


class PlaceVerificationRequestType(BaseModel):
    model_config = ConfigDict(extra="forbid")

    CommunityID: str = Field(pattern=r"^\d{4,16}$", examples=["027607111"],
                             description="Prefix of the card's community ID: 0276 (Germany) and the AGS")


class UseIDRequestType(BaseModel):
    """Start an eID session (TR-03130 ``useID``) and say where the citizen's browser returns afterwards."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "UseOperations": {"GivenNames": "REQUIRED", "FamilyNames": "REQUIRED", "DateOfBirth": "REQUIRED",
                          "PlaceOfResidence": "ALLOWED", "RestrictedID": "REQUIRED", "AgeVerification": "REQUIRED"},
        "AgeVerificationRequest": {"Age": 18},
        "RefreshAddress": "http://localhost:3000/eid/fertig"}]})

    UseOperations: OperationsRequestorType  # type: ignore[valid-type]
    AgeVerificationRequest: AgeVerificationRequestType | None = None
    PlaceVerificationRequest: PlaceVerificationRequestType | None = None
    RefreshAddress: str = Field(max_length=2000, description=(
        "The return URL: the browser is sent here with session_id and ResultMajor (and ResultMinor on errors) "
        "added to the query, as TR-03124 does with the RefreshAddress"))

    @field_validator("RefreshAddress")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise ValueError("RefreshAddress must be an absolute http(s) URL without fragment")
        return value

    def requested(self) -> dict[str, str]:
        """Operation name -> REQUIRED | ALLOWED, PROHIBITED ones left out."""
        operations: dict[str, Any] = self.UseOperations.model_dump()  # type: ignore[attr-defined]
        return {name: value for name, value in operations.items() if value in ("REQUIRED", "ALLOWED")}

    @model_validator(mode="after")
    def _consistent(self) -> "UseIDRequestType":
        requested = self.requested()
        if not requested:
            raise ValueError("UseOperations must request at least one operation")
        if ("AgeVerification" in requested) != (self.AgeVerificationRequest is not None):
            raise ValueError("AgeVerification and AgeVerificationRequest go together")
        if ("PlaceVerification" in requested) != (self.PlaceVerificationRequest is not None):
            raise ValueError("PlaceVerification and PlaceVerificationRequest go together")
        return self


class SessionType(BaseModel):
    ID: str


class ResultType(BaseModel):
    """TR-03112 result: ResultMajor ``...#ok`` or ``...#error`` with a ResultMinor saying why."""

    ResultMajor: str
    ResultMinor: str | None = None
    ResultMessage: str | None = None


class UseIDResponseType(BaseModel):
    Session: SessionType
    LoginURL: str = Field(description="The page the citizen's browser opens to read the card")
    ExpiresAt: str
    Result: ResultType


class VerificationResultType(BaseModel):
    FulfilsRequest: bool


class GetResultResponseType(BaseModel):
    """TR-03130 ``getResult``: the card's data, or the error that ended the session."""

    model_config = ConfigDict(extra="allow")

    Session: SessionType
    Result: ResultType
    PersonalData: dict[str, Any] | None = None
    OperationsAllowedByUser: dict[str, str] | None = None
    FulfilsAgeVerification: VerificationResultType | None = None
    FulfilsPlaceVerification: VerificationResultType | None = None
    LevelOfAssurance: str | None = None
