"""Adapters registered by name (the plugin registry): the checkout finds a method's adapter here, and a new method is
one module with a :class:`PaymentAdapter` subclass plus one ``register`` call."""

from services.bezahlplattform.adapters.base import PaymentAdapter

ADAPTERS: dict[str, PaymentAdapter] = {}


def register(adapter: PaymentAdapter) -> PaymentAdapter:
    if adapter.name in ADAPTERS:
        raise ValueError(f"a payment adapter named {adapter.name!r} is registered already")
    ADAPTERS[adapter.name] = adapter
    return adapter


def get(name: str) -> PaymentAdapter | None:
    return ADAPTERS.get(name)


def _load_builtin() -> None:
    # Imported here (not at module top) so each adapter module can import this registry without a cycle.
    from services.bezahlplattform.adapters import card, giropay, paypal, sepa, transfer

    for module in (card, paypal, giropay, sepa, transfer):
        register(module.ADAPTER)


_load_builtin()
