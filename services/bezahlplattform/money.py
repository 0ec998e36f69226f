"""Money at the boundary: XBezahldienste sends decimal euros, the platform keeps integer cents (EUR only).

Conversions happen here and nowhere else, with ``Decimal`` (never float) and HALF_UP rounding as the standard's
total check demands.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


class AmountError(ValueError):
    """An amount the platform refuses (too many decimals, negative, not a number)."""


def to_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)):
        raise AmountError("an amount must be a decimal number")
    try:
        # A float only arrives from callers that did not parse JSON with Decimal; its shortest repr is what was sent.
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:
        raise AmountError(f"{value!r} is not a decimal number") from exc
    if not amount.is_finite():
        raise AmountError("an amount must be finite")
    return amount


def decimals(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def euros_to_cents(value: object, *, max_decimals: int = 2, allow_zero: bool = False) -> int:
    """Exact conversion of a euro amount with at most ``max_decimals`` places; refuses negatives."""
    amount = to_decimal(value)
    if decimals(amount) > max_decimals:
        raise AmountError(f"{value} has more than {max_decimals} decimal places")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountError(f"{value} must be {'zero or ' if allow_zero else ''}positive")
    if amount > Decimal("999999999.99"):
        raise AmountError(f"{value} is above the largest amount the platform takes")
    return int((amount * 100).to_integral_value())


def round_half_up_cents(amount: Decimal) -> int:
    return int((amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def cents_to_euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def json_euros(cents: int) -> float | int:
    """A JSON number for an amount in cents: 1250 → 12.5, exact because two decimals have an exact shortest repr."""
    euros = cents_to_euros(cents)
    return int(euros) if euros == euros.to_integral_value() else float(euros)


def german(cents: int) -> str:
    """12345 → "123,45 €" as pages show it."""
    euros, rest = divmod(cents, 100)
    grouped = f"{euros:,}".replace(",", ".")
    return f"{grouped},{rest:02d} €"


def plain(cents: int) -> str:
    """12345 → "123.45", -5 → "-0.05": exact, for XML and JSON strings."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros}.{rest:02d}"
