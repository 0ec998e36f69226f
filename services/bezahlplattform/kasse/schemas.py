"""The JSON answers of the Kasse interface: the daily settlement (amounts as exact decimal text, ``"123.45"``,
negative for debits where signed) and the report of a bank statement import."""

from typing import Literal

from pydantic import Field

from kit.schemas import Date, WireModel

Amount = str  # exact decimal euros as text: "30.00", "-5.00"


class KassenzeichenTotal(WireModel):
    kassenzeichen: str
    amount: Amount = Field(description="Credits minus debits")


class HaushaltsstelleTotal(WireModel):
    haushaltsstelle: str
    amount: Amount = Field(description="Credits minus debits")


class SettlementLine(WireModel):
    """One booking line: a payment (CRDT) or refund (DBIT) on one Haushaltsstelle."""

    bookingDate: Date
    creditDebit: Literal["CRDT", "DBIT"]
    amount: Amount
    kassenzeichen: str
    haushaltsstelle: str
    objektnummer: str
    transactionId: str
    originatorId: str
    method: str
    reference: str = Field(description="The refund's id for a debit, the transaction's id for a credit")


class Settlement(WireModel):
    """The day at one office (Europe/Berlin): opening balance + credits - debits = closing balance."""

    endpointId: str
    date: Date
    currency: Literal["EUR"]
    openingBalance: Amount
    credits: Amount
    debits: Amount
    closingBalance: Amount
    entries: int = Field(description="Bank-statement entries (payments and refunds) of the day")
    byKassenzeichen: list[KassenzeichenTotal]
    byHaushaltsstelle: list[HaushaltsstelleTotal]
    lines: list[SettlementLine]


class SettledCredit(WireModel):
    transactionId: str
    kassenzeichen: str
    amount: Amount


class UnsettledCredit(WireModel):
    amount: Amount
    reference: str = Field(description="The credit's bank reference")
    kassenzeichen: list[str] = Field(description="Open payments the remittance text names")
    expected: list[Amount] = Field(description="Their amounts (for an amount mismatch)")


class StatementReport(WireModel):
    """What a camt.053 import settled, what matched no open payment, and what matched with another amount."""

    statementId: str
    credits: int
    settled: list[SettledCredit]
    unmatched: list[UnsettledCredit]
    amountMismatch: list[UnsettledCredit]
