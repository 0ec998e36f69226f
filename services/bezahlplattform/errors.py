"""XBezahldienste errors: RFC 7807/9457 problem bodies with the standard's ``functionalCode``.

The standard names the codes but not the HTTP statuses; these are the ones its implementations answer with.
"""

from typing import Any

from kit.problems import Problem

TYPE_BASE = "urn:xbezahldienste:problem:"

# functionalCode -> (HTTP status, title)
_CODES: dict[str, tuple[int, str]] = {
    "VALIDATION_ERROR": (400, "Ungültige Anfrage"),
    "CALCULATION_ERROR": (400, "Summe passt nicht zu den Positionen"),
    "BOOKING_DATA_MISSING": (400, "Buchungsdaten fehlen"),
    "PAYMENT_EXISTS": (409, "Zahlung existiert bereits"),
    "NO_VALID_ORIGINATOR_OR_ENDPOINT": (404, "Unbekannter Originator oder Endpoint"),
    "NO_VALID_ORIGINATOR_OR_DESTINATION": (404, "Unbekannter Originator oder Destination"),
    "FORBIDDEN": (403, "Nicht berechtigt"),
    "UNAUTHORIZED": (401, "Anmeldung erforderlich"),
    "NOT_FOUND": (404, "Zahlung nicht gefunden"),
    "UNSPECIFIED": (409, "Vorgang nicht möglich"),
}


def xbd_problem(code: str, detail: str, *, status: int | None = None, headers: dict[str, str] | None = None,
                type_suffix: str | None = None, **extensions: Any) -> Problem:
    """``type_suffix`` names a more precise problem type where the standard's code is generic (UNSPECIFIED)."""
    default_status, title = _CODES[code]
    # VALIDATION_ERROR keeps the kit's type so that an Idempotency-Key is not spent on a request that never started.
    type_ = "validation-error" if code == "VALIDATION_ERROR" else TYPE_BASE + (
        type_suffix or code.lower().replace("_", "-"))
    return Problem(status or default_status, detail, type_=type_, title=title, headers=headers,
                   functionalCode=code, **extensions)
