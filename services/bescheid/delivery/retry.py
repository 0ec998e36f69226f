"""The outbox channel that delivers a Bescheid whose first delivery found the Postfach unreachable."""

from kit.outbox import DeliveryFailed, OutboxMessage
from kit.problems import Problem
from kit.service import ServiceRuntime
from services.bescheid.delivery import postfach
from services.bescheid.models import Bescheid
from services.bescheid.state import BescheidState


def handler(state: BescheidState, runtime: ServiceRuntime):  # type: ignore[no-untyped-def]
    async def deliver(message: OutboxMessage) -> None:
        payload = message.payload
        async with runtime.db.sessionmaker() as session:
            bescheid = await session.get(Bescheid, payload["bescheidId"])
            if bescheid is None or bescheid.delivery_status != "pending":
                return  # reset meanwhile, or delivered by an earlier attempt
            try:
                outcome = await postfach.send(state, fields=payload["fields"], pdf=bescheid.pdf,
                                              filename=f"Bescheid-{bescheid.number}.pdf", rule=payload["rule"],
                                              now=runtime.clock.now())
            except postfach.DeliveryRetry as exc:
                raise DeliveryFailed(str(exc)) from exc
            except Problem as refused:  # refused for good: retrying cannot help
                bescheid.delivery_status = "failed"
                bescheid.delivery_error = refused.detail
            else:
                postfach.record(bescheid, outcome)
            await session.commit()

    return deliver
