"""ISO 20022 camt.053.001.02 (BankToCustomerStatement): written for the Kasse's daily settlement, and read when the
Kasse imports its bank's statement to settle open transfers. The reader is strict and safe: no DTDs, no entities,
no network, a size cap, and only the elements it needs."""

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from services.bezahlplattform.kasse.settlement import Settlement
from services.bezahlplattform.models import Endpoint
from services.bezahlplattform.money import plain

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:camt.053."
MAX_STATEMENT_BYTES = 5 * 1024 * 1024


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NS}}}{tag}", attrib)
    if text is not None:
        child.text = text
    return child


def _path(parent: etree._Element, *tags: str) -> etree._Element:
    for tag in tags:
        parent = _el(parent, tag)
    return parent


def _balance(stmt: etree._Element, code: str, cents: int, day: dt.date) -> None:
    bal = _el(stmt, "Bal")
    _el(_path(bal, "Tp", "CdOrPrtry"), "Cd", code)
    _el(bal, "Amt", plain(abs(cents)), Ccy="EUR")
    _el(bal, "CdtDbtInd", "CRDT" if cents >= 0 else "DBIT")
    _el(_el(bal, "Dt"), "Dt", day.isoformat())


def build(settlement: Settlement, endpoint: Endpoint, *, created: dt.datetime) -> bytes:
    """The settlement as a camt.053 statement of the office's collection account."""
    stamp = created.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    report = _el(root, "BkToCstmrStmt")
    header = _el(report, "GrpHdr")
    _el(header, "MsgId", f"BP-{settlement.endpoint_id}-{settlement.day:%Y%m%d}-{uuid.uuid4().hex[:8]}"[:35])
    _el(header, "CreDtTm", stamp)
    stmt = _el(report, "Stmt")
    _el(stmt, "Id", f"BP-{settlement.endpoint_id}-{settlement.day:%Y%m%d}"[:35])
    _el(stmt, "ElctrncSeqNb", settlement.day.strftime("%Y%j"))
    _el(stmt, "CreDtTm", stamp)
    period = _el(stmt, "FrToDt")
    _el(period, "FrDtTm", f"{settlement.day.isoformat()}T00:00:00")
    _el(period, "ToDtTm", f"{settlement.day.isoformat()}T23:59:59")
    acct = _el(stmt, "Acct")
    _el(_el(acct, "Id"), "IBAN", endpoint.iban)
    _el(acct, "Ccy", "EUR")
    _el(_el(acct, "Ownr"), "Nm", endpoint.name[:70])
    _el(_path(acct, "Svcr", "FinInstnId"), "BIC", endpoint.bic)
    _balance(stmt, "OPBD", settlement.opening_cents, settlement.day)
    _balance(stmt, "CLBD", settlement.closing_cents, settlement.day)
    summary = _el(stmt, "TxsSummry")
    total = _el(summary, "TtlNtries")
    net = settlement.credit_cents - settlement.debit_cents
    _el(total, "NbOfNtries", str(len(settlement.entries)))
    _el(total, "Sum", plain(settlement.credit_cents + settlement.debit_cents))
    _el(total, "TtlNetNtryAmt", plain(abs(net)))
    _el(total, "CdtDbtInd", "CRDT" if net >= 0 else "DBIT")
    for tag, credit in (("TtlCdtNtries", True), ("TtlDbtNtries", False)):
        part = _el(summary, tag)
        _el(part, "NbOfNtries", str(sum(1 for e in settlement.entries if e.credit is credit)))
        _el(part, "Sum", plain(settlement.credit_cents if credit else settlement.debit_cents))
    for entry in settlement.entries:
        ntry = _el(stmt, "Ntry")
        _el(ntry, "NtryRef", entry.reference[:35])
        _el(ntry, "Amt", plain(entry.cents), Ccy="EUR")
        _el(ntry, "CdtDbtInd", "CRDT" if entry.credit else "DBIT")
        _el(ntry, "Sts", "BOOK")
        _el(_el(ntry, "BookgDt"), "Dt", settlement.day.isoformat())
        _el(_el(ntry, "ValDt"), "Dt", settlement.day.isoformat())
        _el(ntry, "AcctSvcrRef", entry.reference[:35])
        family = _path(ntry, "BkTxCd", "Domn")
        _el(family, "Cd", "PMNT")
        fmly = _el(family, "Fmly")
        _el(fmly, "Cd", "RCDT" if entry.credit else "ICDT")
        _el(fmly, "SubFmlyCd", "ESCT")
        details = _el(ntry, "NtryDtls")
        for line in entry.lines:
            tx = _el(details, "TxDtls")
            refs = _el(tx, "Refs")
            _el(refs, "EndToEndId", line.kassenzeichen[:35])
            _el(refs, "TxId", line.transaction_id[:35])
            _el(_path(tx, "AmtDtls", "TxAmt"), "Amt", plain(line.cents), Ccy="EUR")
            text = f"KZ {line.kassenzeichen} HHST {line.haushaltsstelle}"
            if line.objektnummer:
                text += f" OBJ {line.objektnummer}"
            _el(_el(tx, "RmtInf"), "Ustrd", text[:140])
        _el(ntry, "AddtlNtryInf", f"{'Zahlung' if entry.credit else 'Erstattung'} {entry.kassenzeichen}"[:500])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class StatementError(ValueError):
    """The upload is not a camt.053 statement this platform can read."""


@dataclass
class Credit:
    cents: int
    texts: list[str] = field(default_factory=list)
    reference: str = ""

    def tokens(self) -> set[str]:
        return {t for text in self.texts for t in re.findall(r"[A-Za-z0-9][A-Za-z0-9./-]{4,35}", text)}


@dataclass
class Statement:
    id: str
    iban: str | None
    credits: list[Credit]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse(data: bytes) -> Statement:
    if len(data) > MAX_STATEMENT_BYTES:
        raise StatementError(f"the statement is larger than {MAX_STATEMENT_BYTES // (1024 * 1024)} MB")
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise StatementError("DTDs and entities are not accepted")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise StatementError(f"not well-formed XML: {exc}") from None
    ns = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "Document" or not ns.startswith(NS_PREFIX):
        raise StatementError("the root must be a camt.053 Document (urn:iso:std:iso:20022:tech:xsd:camt.053.*)")
    n = {"c": ns}
    stmt = root.find("c:BkToCstmrStmt/c:Stmt", n)
    if stmt is None:
        raise StatementError("BkToCstmrStmt/Stmt is missing")
    statement_id = (stmt.findtext("c:Id", namespaces=n) or "").strip()
    if not statement_id:
        raise StatementError("Stmt/Id is missing")
    credits = []
    for ntry in stmt.findall("c:Ntry", n):
        if (ntry.findtext("c:CdtDbtInd", namespaces=n) or "").strip() != "CRDT":
            continue
        status = (ntry.findtext("c:Sts", namespaces=n) or ntry.findtext("c:Sts/c:Cd", namespaces=n) or "").strip()
        if status != "BOOK":
            continue  # pending or informational entries are not money on the account yet
        amount = ntry.find("c:Amt", n)
        if amount is None or amount.get("Ccy") != "EUR":
            continue
        try:
            value = Decimal((amount.text or "").strip())
        except InvalidOperation:
            raise StatementError(f"entry amount {amount.text!r} is not a number") from None
        texts = [t for t in (ntry.xpath(".//c:Ustrd/text() | .//c:EndToEndId/text() | .//c:AddtlNtryInf/text() "
                                        "| .//c:CdtrRefInf/c:Ref/text()", namespaces=n)) if isinstance(t, str)]
        credits.append(Credit(int((value * 100).to_integral_value()), [str(t) for t in texts],
                              (ntry.findtext("c:AcctSvcrRef", namespaces=n) or "").strip()))
    return Statement(statement_id[:35], stmt.findtext("c:Acct/c:Id/c:IBAN", namespaces=n), credits)
