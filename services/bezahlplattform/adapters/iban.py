"""IBAN validation (ISO 13616): country-specific length and the MOD 97-10 check digits (ISO 7064)."""

import re

# Lengths of the SEPA countries' IBANs.
LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24,
    "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24,
    "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}


def normalise(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def problem(value: str) -> str | None:
    """Why ``value`` is not a valid SEPA IBAN (German text for the page); None when it is valid."""
    iban = normalise(value)
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", iban):
        return "Die IBAN beginnt mit dem Ländercode und zwei Prüfziffern (z. B. DE89 3704 0044 0532 0130 00)."
    country = iban[:2]
    if country not in LENGTHS:
        return f"IBANs aus {country} werden für SEPA-Lastschriften nicht angenommen."
    if len(iban) != LENGTHS[country]:
        return f"Eine IBAN aus {country} hat {LENGTHS[country]} Zeichen, diese hat {len(iban)}."
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(digits) % 97 != 1:
        return "Die Prüfziffern der IBAN stimmen nicht. Bitte prüfen Sie die Eingabe."
    return None


def masked(value: str) -> str:
    iban = normalise(value)
    return f"{iban[:4]} •••• {iban[-4:]}"
