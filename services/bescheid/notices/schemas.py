"""The JSON shapes of the Bescheid API (camelCase on the wire)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PadesLevel = Literal["B-B", "B-T", "B-LT", "B-LTA"]
BekanntgabeRule = Literal["ozg9", "vwvfg41_2a", "none"]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Addressee(_Model):
    postkorb_handle: UUID = Field(description="The addressee's Postfach mailbox (BundID postkorb handle)")
    name: Annotated[Text, StringConstraints(max_length=200)]
    address: list[Annotated[Text, StringConstraints(max_length=100)]] = Field(default_factory=list, max_length=5)


class Fee(_Model):
    description: Annotated[Text, StringConstraints(max_length=200)]
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("999999999.99"), decimal_places=2)]


class BescheidIn(_Model):
    """One notice: who issues it, to whom, and what it decides (§§ 37, 39 VwVfG, § 58 VwGO)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "authority": "stadt-koblenz", "template": "stadt-koblenz/bewohnerparkausweis",
        "aktenzeichen": "32.1-BPA-2026-0042", "date": "2026-11-22",
        "addressee": {"postkorbHandle": "3f0c1c7e-0d0a-5b1e-9c53-2d1c3c1e9a11", "name": "Erika Mustermann",
                      "address": ["Heidestraße 17", "56068 Koblenz"]},
        "tenor": "Ihnen wird ein Bewohnerparkausweis für die Zone A erteilt.",
        "begruendung": "Sie sind in der Zone A mit Hauptwohnsitz gemeldet (§ 45 Abs. 1b StVO).",
        "rechtsbehelfsbelehrung": "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe "
                                  "Widerspruch erhoben werden.",
        "fees": [{"description": "Gebühr Bewohnerparkausweis", "amount": "30.70"}],
        "fields": {"kennzeichen": "KO-EM 123", "zone": "A"}}]})

    authority: Annotated[Text, StringConstraints(max_length=64)]
    template: Annotated[Text, StringConstraints(max_length=100)]
    aktenzeichen: Annotated[Text, StringConstraints(max_length=100)]
    date: dt.date | None = Field(None, description="Date of the notice; default: today (kit clock)")
    addressee: Addressee
    tenor: Annotated[Text, StringConstraints(max_length=20_000)]
    begruendung: Annotated[Text, StringConstraints(max_length=50_000)]
    rechtsbehelfsbelehrung: Annotated[Text, StringConstraints(max_length=20_000)]
    fees: list[Fee] = Field(default_factory=list, max_length=50)
    kassenzeichen: Annotated[Text, StringConstraints(max_length=64)] | None = None
    fields: dict[Annotated[str, StringConstraints(max_length=64)],
                 Annotated[str, StringConstraints(max_length=1000)]] = Field(default_factory=dict, max_length=50)
    stork_qaa_level: int | None = Field(None, ge=1, le=4, description="Default: the template's")
    bekanntgabe_rule: BekanntgabeRule | None = Field(None, description="Default: the template's")
    pades_level: PadesLevel | None = Field(None, description="Default: the authority's")

    def embedded_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class BatchIn(_Model):
    items: list[BescheidIn] = Field(min_length=1)


class Bekanntgabe(_Model):
    rule: str
    status: str
    date: str | None = None


class Delivery(_Model):
    status: Literal["pending", "delivered", "failed"]
    message_id: str | None = None
    error: str | None = None
    provided_at: dt.datetime | None = None
    notified_at: dt.datetime | None = None
    retrieved_at: dt.datetime | None = None
    bekanntgabe: Bekanntgabe | None = None


class Seal(_Model):
    pades_level: PadesLevel
    certificate_serial: str
    warnings: list[str]


class BescheidOut(_Model):
    id: str
    number: str
    authority: str
    template: str
    aktenzeichen: str
    date: dt.date
    addressee: Addressee
    batch_id: str | None
    created_at: dt.datetime
    seal: Seal
    delivery: Delivery
    links: dict[str, str]


class BatchItemResult(_Model):
    index: int
    status: Literal["created", "failed"]
    bescheid_id: str | None = None
    number: str | None = None
    problem: dict[str, Any] | None = None


class BatchOut(_Model):
    id: str
    status: Literal["queued", "running", "completed"]
    total: int
    done: int
    succeeded: int
    failed: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    results: list[BatchItemResult]


class BescheidData(_Model):
    """The Bescheid data as embedded in the PDF (``bescheid.json``): the request as given (members it left out
    stay out), with the number, the authority's name and ARS, and the notice's date."""

    bescheid_nummer: str
    authority_name: str
    ars: str
    authority: str
    template: str
    aktenzeichen: str
    date: dt.date
    addressee: Addressee
    tenor: str
    begruendung: str
    rechtsbehelfsbelehrung: str
    fees: list[Fee]
    kassenzeichen: str | None = None
    fields: dict[str, str]
    stork_qaa_level: int | None = None
    bekanntgabe_rule: BekanntgabeRule | None = None
    pades_level: PadesLevel | None = None


class AuthorityOut(_Model):
    """An issuing authority and the PAdES level it seals at by default."""

    id: str
    name: str
    ars: str = Field(description="Amtlicher Regionalschlüssel")
    organization_identifier: str = Field(description="ETSI EN 319 412-1 organizationIdentifier of its seal")
    pades_level: PadesLevel
    number_prefix: str


class TemplateOut(_Model):
    """A notice template of one authority for one Verwaltungsleistung, with the labels of its data fields."""

    id: str
    authority: str
    service: str
    title: str
    fields: dict[str, str] = Field(description="Data field → the label the notice shows, in order")
    stork_qaa_level: int
    bekanntgabe_rule: BekanntgabeRule
