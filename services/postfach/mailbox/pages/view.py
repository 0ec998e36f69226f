"""What the inbox page shows, in German: dates as Germans write them (in German time), sizes, and the Bekanntgabe
in words with its legal basis."""

import datetime as dt

from services.postfach.mailbox import bekanntgabe
from services.postfach.mailbox.bekanntgabe import BERLIN, Bekanntgabe

# status_v6 values as the citizen's account names them.
STATUS_LABELS = {"INITIATED": "Begonnen", "SUBMITTED": "Eingereicht", "RECEIVED": "Eingegangen",
                 "PROCESSING": "In Bearbeitung", "ACTION_REQUIRED": "Ihre Mitwirkung ist erforderlich",
                 "COMPLETED": "Abgeschlossen"}


def date_de(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(BERLIN).date()
    return value.strftime("%d.%m.%Y")


def datetime_de(value: dt.datetime | None) -> str:
    return value.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr") if value is not None else ""


def size_de(length: int) -> str:
    if length < 1024:
        return f"{length} Byte"
    if length < 1024 * 1024:
        return f"{length / 1024:.1f} KB".replace(".", ",")
    return f"{length / 1024 / 1024:.1f} MB".replace(".", ",")


def bekanntgabe_text(result: Bekanntgabe) -> str:
    if result.rule == bekanntgabe.OZG9 and result.date is not None:
        verb = "gilt seit dem" if result.status == bekanntgabe.BEKANNTGEGEBEN else "gilt am"
        return f"Bekanntgabe: {verb} {date_de(result.date)} als bekannt gegeben (§ 9 Abs. 1 OZG)"
    if result.rule == bekanntgabe.VWVFG41_2A:
        if result.status == bekanntgabe.NOT_DELIVERED:
            return "Bekanntgabe: nicht erfolgt, weil nicht rechtzeitig abgerufen (§ 41 Abs. 2a VwVfG)"
        if result.date is not None:
            verb = "gilt seit dem" if result.status == bekanntgabe.BEKANNTGEGEBEN else "gilt am"
            return f"Bekanntgabe: {verb} {date_de(result.date)} als bekannt gegeben (§ 41 Abs. 2a VwVfG)"
        deadline = date_de(result.retrieval_deadline)
        return f"Bekanntgabe: am Tag nach dem Abruf; bitte bis {deadline} abrufen (§ 41 Abs. 2a VwVfG)"
    return ""
