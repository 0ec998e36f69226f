"""The cash office: the daily settlement per Kassenzeichen and Haushaltsstelle as JSON, CSV and camt.053 (structure
checked with lxml, balances recomputed), and a bank statement import that settles open transfers."""

import csv
import io
from decimal import Decimal

import httpx
from lxml import etree

from tests.bezahlplattform.checkout_tools import Checkout, back
from tests.bezahlplattform.conftest import KOBLENZ, office_client
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, check_problem

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS = {"c": CAMT}
CARD = {"holder": "Erika Mustermann", "number": "4242424242424242", "expiry": "12/34", "cvc": "123", "action": "pay"}
DAY = "2026-03-02"


async def pay(api: XBezahldiensteClient, amount: float, items: list[dict[str, object]] | None = None,
              method: str = "creditcard", data: dict[str, str] | None = None) -> dict[str, str]:
    info = (await api.create(amount=amount, items=items))["paymentInformation"]
    back(await Checkout(api.http, info["transactionRedirectUrl"]).pay_with(method, data or CARD))
    return info


async def day_of_payments(bp: httpx.AsyncClient, parking: XBezahldiensteClient) -> dict[str, dict[str, str]]:
    await bp.post("/_emulator/clock", json={"freeze": "2026-03-01T12:00:00+01:00"})
    yesterday = await pay(parking, 7.0)  # the day before: part of the opening balance
    await bp.post("/_emulator/clock", json={"freeze": f"{DAY}T09:00:00+01:00"})
    card = await pay(parking, 30.0)
    two_items = [
        {"id": "1", "totalNetAmount": 25.0, "bookingData": {"Haushaltsstelle": "1.2.2.01.431100",
                                                            "Objektnummer": "A-1"}},
        {"id": "2", "totalNetAmount": 5.0, "totalTaxAmount": 0.95, "bookingData": {"Haushaltsstelle": "9.9.9"}}]
    sepa = await pay(parking, 30.95, two_items, "sepa", {"holder": "Max Mustermann", "mandate": "yes",
                                                         "iban": "DE89370400440532013000"})
    refund = await parking.refund(card["transactionId"], "5.00")
    assert refund.status_code == 201
    transfer = (await parking.create(amount=12.0))["paymentInformation"]
    return {"yesterday": yesterday, "card": card, "sepa": sepa, "transfer": transfer}


async def settlement(http: httpx.AsyncClient, auth: dict[str, str], fmt: str) -> httpx.Response:
    response = await http.get(f"/kasse/{KOBLENZ}/settlement", params={"date": DAY, "format": fmt}, headers=auth)
    assert response.status_code == 200, response.text
    return response


async def test_daily_settlement_balances(bp: httpx.AsyncClient, parking: XBezahldiensteClient) -> None:
    payments = await day_of_payments(bp, parking)
    summary = (await settlement(bp, parking.auth, "json")).json()
    assert summary["openingBalance"] == "7.00"
    assert summary["credits"] == "60.95" and summary["debits"] == "5.00" and summary["closingBalance"] == "62.95"
    by_hhst = {h["haushaltsstelle"]: h["amount"] for h in summary["byHaushaltsstelle"]}
    assert by_hhst == {"1.2.2.01.431100": "50.00", "9.9.9": "5.95"}  # 30 - 5 refunded + 25; 5 + 0.95
    by_kz = {k["kassenzeichen"]: k["amount"] for k in summary["byKassenzeichen"]}
    assert by_kz[payments["card"]["transactionReference"]] == "25.00"
    assert by_kz[payments["sepa"]["transactionReference"]] == "30.95"
    assert payments["transfer"]["transactionReference"] not in by_kz  # still open

    rows = list(csv.DictReader(io.StringIO((await settlement(bp, parking.auth, "csv")).content.decode("utf-8-sig")),
                               delimiter=";"))
    assert len(rows) == 4
    total = sum(Decimal(r["Betrag"].replace(",", ".")) * (1 if r["Soll/Haben"] == "H" else -1) for r in rows)
    assert total == Decimal("55.95")
    assert {r["Buchungstag"] for r in rows} == {"02.03.2026"}


async def test_camt053_export_structure(bp: httpx.AsyncClient, parking: XBezahldiensteClient) -> None:
    payments = await day_of_payments(bp, parking)
    response = await settlement(bp, parking.auth, "camt053")
    assert response.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(response.content, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == f"{{{CAMT}}}Document"
    stmt = root.find("c:BkToCstmrStmt/c:Stmt", NS)
    assert stmt is not None and root.find("c:BkToCstmrStmt/c:GrpHdr/c:MsgId", NS) is not None
    # The schema's order of a Stmt's children.
    order = [etree.QName(c).localname for c in stmt]
    assert order[:6] == ["Id", "ElctrncSeqNb", "CreDtTm", "FrToDt", "Acct", "Bal"]
    assert order.index("TxsSummry") < order.index("Ntry")
    assert stmt.findtext("c:Acct/c:Id/c:IBAN", namespaces=NS) == "DE02570501200000012345"

    def balance(code: str) -> Decimal:
        bal = stmt.xpath(f"c:Bal[c:Tp/c:CdOrPrtry/c:Cd='{code}']", namespaces=NS)[0]
        sign = 1 if bal.findtext("c:CdtDbtInd", namespaces=NS) == "CRDT" else -1
        return sign * Decimal(bal.findtext("c:Amt", namespaces=NS))

    entries = stmt.findall("c:Ntry", NS)
    assert len(entries) == 3
    net = Decimal(0)
    for ntry in entries:
        amount = Decimal(ntry.findtext("c:Amt", namespaces=NS))
        assert ntry.find("c:Amt", NS).get("Ccy") == "EUR" and ntry.findtext("c:Sts", namespaces=NS) == "BOOK"
        credit = ntry.findtext("c:CdtDbtInd", namespaces=NS) == "CRDT"
        net += amount if credit else -amount
        lines = ntry.findall("c:NtryDtls/c:TxDtls", NS)
        assert sum(Decimal(t.findtext("c:AmtDtls/c:TxAmt/c:Amt", namespaces=NS)) for t in lines) == amount
        for tx in lines:
            assert tx.findtext("c:RmtInf/c:Ustrd", namespaces=NS).startswith("KZ ")
    assert balance("CLBD") - balance("OPBD") == net == Decimal("55.95")
    assert Decimal(stmt.findtext("c:TxsSummry/c:TtlNtries/c:TtlNetNtryAmt", namespaces=NS)) == net
    sepa_kz = payments["sepa"]["transactionReference"]
    sepa_entry = next(n for n in entries if n.findtext("c:NtryDtls/c:TxDtls/c:Refs/c:EndToEndId",
                                                       namespaces=NS) == sepa_kz)
    assert len(sepa_entry.findall("c:NtryDtls/c:TxDtls", NS)) == 2


def bank_statement(statement_id: str, credits: list[tuple[str, str]]) -> bytes:
    """A statement as the Kasse's bank sends it (written here, not by the platform)."""
    entries = "".join(
        f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{DAY}</Dt></BookgDt><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
        f"<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls><RmtInf>"
        f"<Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>" for amount, text in credits)
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{CAMT}"><BkToCstmrStmt><GrpHdr>'
            f"<MsgId>BANK-1</MsgId><CreDtTm>{DAY}T18:00:00</CreDtTm></GrpHdr><Stmt><Id>{statement_id}</Id>"
            f"<CreDtTm>{DAY}T18:00:00</CreDtTm><Acct><Id><IBAN>DE02570501200000012345</IBAN></Id></Acct>"
            f"<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt>"
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{DAY}</Dt></Dt></Bal>{entries}</Stmt></BkToCstmrStmt>"
            f"</Document>").encode()


async def test_bank_statement_settles_open_transfers(bp: httpx.AsyncClient, parking: XBezahldiensteClient) -> None:
    open_one = (await parking.create(amount=12.0))["paymentInformation"]
    other = (await parking.create(amount=20.0))["paymentInformation"]
    kz, other_kz = open_one["transactionReference"], other["transactionReference"]
    statement = bank_statement("STMT-2026-03-02", [
        ("12.00", f"Bewohnerparkausweis KZ {kz} Mustermann"), ("19.00", f"Kassenzeichen {other_kz}"),
        ("3.50", "Spende ohne Kassenzeichen")])
    imported = await bp.post(f"/kasse/{KOBLENZ}/statements", content=statement,
                             headers={**parking.auth, "Content-Type": "application/xml"})
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert [s["kassenzeichen"] for s in report["settled"]] == [kz]
    assert report["amountMismatch"][0]["kassenzeichen"] == [other_kz] and len(report["unmatched"]) == 1
    info = await parking.status(open_one["transactionId"])
    assert info["status"] == "PAYED" and info["paymentMethodDetail"] == "Überweisung"
    assert (await parking.status(other["transactionId"]))["status"] == "INITIAL"
    again = await bp.post(f"/kasse/{KOBLENZ}/statements", content=statement,
                          headers={**parking.auth, "Content-Type": "application/xml"})
    assert again.status_code == 409


async def test_hostile_statements_change_nothing(bp: httpx.AsyncClient, parking: XBezahldiensteClient) -> None:
    open_one = (await parking.create(amount=12.0))["paymentInformation"]
    kz = open_one["transactionReference"]
    evil = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY kz "{kz}">]>'.encode()
            + bank_statement("X", [("12.00", "&kz;")]).split(b"?>", 1)[1])
    for body in (evil, b"<not-camt/>", b"kein xml", bank_statement("", [("12.00", kz)])):
        answer = await bp.post(f"/kasse/{KOBLENZ}/statements", content=body,
                               headers={**parking.auth, "Content-Type": "application/xml"})
        check_problem(answer, "VALIDATION_ERROR", 400)
    assert (await parking.status(open_one["transactionId"]))["status"] == "INITIAL"


async def test_kasse_sees_only_its_online_services(bp: httpx.AsyncClient, parking: XBezahldiensteClient) -> None:
    await day_of_payments(bp, parking)
    dogs = office_client(bp, "hundesteuer")
    summary = (await settlement(bp, dogs.auth, "json")).json()
    assert summary["entries"] == 0 and summary["closingBalance"] == "0.00"
    unknown = await bp.get("/kasse/079999999999/settlement", headers=parking.auth)
    check_problem(unknown, "NO_VALID_ORIGINATOR_OR_ENDPOINT", 404)
