"""Import of a bank statement (camt.053): each booked credit whose remittance text names the Kassenzeichen of an open
payment at this office, with the exact amount, settles it (INITIAL → PAYED, conditional update). Credits that match
no open payment, or match with another amount, are reported and change nothing. A statement is imported once."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from kit.service import ServiceRuntime
from services.bezahlplattform.kasse.camt053 import Statement
from services.bezahlplattform.models import BankStatement, Payment
from services.bezahlplattform.money import plain
from services.bezahlplattform.transactions import transitions


async def import_statement(session: AsyncSession, runtime: ServiceRuntime, base_url: str, *, endpoint_id: str,
                           originators: frozenset[str], statement: Statement, actor: str) -> dict[str, Any]:
    previous = await session.scalar(select(BankStatement).where(BankStatement.endpoint_id == endpoint_id,
                                                                BankStatement.statement_id == statement.id))
    if previous is not None:
        raise Problem(409, f"Statement {statement.id} was imported before; nothing changed.",
                      type_="statement-already-imported", report=previous.report)
    settled: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    mismatched: list[dict[str, Any]] = []
    for credit in statement.credits:
        tokens = credit.tokens()
        candidates = (await session.scalars(select(Payment).where(
            Payment.endpoint_id == endpoint_id, Payment.originator_id.in_(originators),
            Payment.kassenzeichen.in_(tokens), Payment.status == "INITIAL"))).all() if tokens else []
        match = next((p for p in candidates if p.gros_amount_cents == credit.cents), None)
        if match is None:
            target = mismatched if candidates else unmatched
            target.append({"amount": plain(credit.cents), "reference": credit.reference,
                           "kassenzeichen": [p.kassenzeichen for p in candidates],
                           "expected": [plain(p.gros_amount_cents) for p in candidates]})
            continue
        done = await transitions.finish(
            session, runtime, base_url, match.id, status="PAYED", actor=actor,
            detail=f"Zahlungseingang laut Kontoauszug {statement.id}", adapter=match.adapter or "transfer",
            payment_method=match.payment_method or "OTHER",
            payment_method_detail=match.payment_method_detail or "Überweisung")
        if done is not None:
            settled.append({"transactionId": done.id, "kassenzeichen": done.kassenzeichen,
                            "amount": plain(credit.cents)})
    report = {"statementId": statement.id, "credits": len(statement.credits), "settled": settled,
              "unmatched": unmatched, "amountMismatch": mismatched}
    try:
        async with session.begin_nested():
            session.add(BankStatement(endpoint_id=endpoint_id, statement_id=statement.id, report=report,
                                      imported_at=runtime.clock.now()))
    except IntegrityError:
        raise Problem(409, f"Statement {statement.id} is being imported concurrently.",
                      type_="statement-already-imported") from None
    return report
