"""Leitweg-ID (KoSIT "Formatspezifikation Leitweg-ID" 2.0.2): format and ISO/IEC 7064 MOD 97-10 check number.

No XRechnung rule checks the check number (BR-DE-15 only demands that BT-10 is there); the intake platform does,
and routes an ID that fails it as an invalid recipient.
"""

import re
from dataclasses import dataclass

# Grob-Adressierung (2-12 digits), optional Fein-Adressierung (up to 30 of 0-9A-Z), Prüfziffer (2 digits).
_FORMAT = re.compile(r"(?P<coarse>[0-9]{2,12})(?:-(?P<fine>[0-9A-Z]{0,30}))?-(?P<check>[0-9]{2})")
MIN_LENGTH, MAX_LENGTH = 5, 46
# The first two digits name a Land (01-16) or the federal level (99): Formatspezifikation Leitweg-ID, Grobadressierung,
# "Kennzahl des Bundeslandes" (two digits, mandatory; the other parts of the coarse address are optional). The KoSIT
# testsuite uses 90000000-03083-72 in 36 files: its check number is right (MOD 97-10), but 90 is neither a Land nor
# the Bund, so no authority can be addressed by it and the platform refuses it as malformed ("leitweg-id-format"),
# before the registry is asked. XRechnung itself has no rule on this (BR-DE-15 only demands BT-10), so the KoSIT
# verdict on those files stays "accept"; the control POST /_emulator/rechnungseingang/leitweg-ids refuses to route it.
_VALID_PREFIXES = {f"{n:02d}" for n in range(1, 17)} | {"99"}


@dataclass(frozen=True)
class LeitwegCheck:
    leitweg_id: str
    valid: bool
    # None when valid; otherwise a German sentence for the Laufzettel.
    reason: str | None = None
    code: str | None = None


def _numeric(text: str) -> int:
    """MOD 97-10 reads letters as two-digit numbers: A=10 … Z=35."""
    return int("".join(str(int(c, 36)) for c in text))


def check_number(without_check: str) -> str:
    """The two check digits for an ID written without them (hyphens are ignored): 98 - (value·100 mod 97)."""
    return f"{98 - (_numeric(without_check.replace('-', '')) * 100) % 97:02d}"


def has_valid_check_number(leitweg_id: str) -> bool:
    return _numeric(leitweg_id.replace("-", "")) % 97 == 1


def check(value: str | None) -> LeitwegCheck:
    """Format, Land prefix and check number of a BT-10 value, as the intake platform checks them."""
    text = (value or "").strip()
    if not text:
        return LeitwegCheck(text, False, "Die Rechnung enthält keine Leitweg-ID (BT-10 Buyer reference).",
                            "leitweg-id-missing")
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH or not _FORMAT.fullmatch(text):
        return LeitwegCheck(text, False, f"„{text}“ hat nicht das Format einer Leitweg-ID "
                            "(Grobadressierung-Feinadressierung-Prüfziffer, Großbuchstaben und Ziffern).",
                            "leitweg-id-format")
    if text[:2] not in _VALID_PREFIXES:
        return LeitwegCheck(text, False, f"Die Leitweg-ID „{text}“ beginnt nicht mit einer Länderkennung "
                            "(01-16) oder der Kennung des Bundes (99).", "leitweg-id-format")
    if not has_valid_check_number(text):
        return LeitwegCheck(text, False, f"Die Prüfziffer der Leitweg-ID „{text}“ ist falsch "
                            f"(erwartet: {check_number(text[:-3])}).", "leitweg-id-check-digit")
    return LeitwegCheck(text, True)


def with_check_number(without_check: str) -> str:
    """``071110000000-0001`` → ``071110000000-0001-NN``: how the seed builds its IDs."""
    return f"{without_check}-{check_number(without_check)}"
