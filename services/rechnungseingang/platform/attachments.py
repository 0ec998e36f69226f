"""The intake platform's attachment rules (Zentraler E-Rechnungseingang RLP): types PDF, PNG, JPG, JPEG, CSV,
XLSX, ODS; unique file names without "@"; a maximum count. Each broken rule is one reason on the Laufzettel."""

from dataclasses import dataclass

from services.rechnungseingang.platform.document import EmbeddedAttachment

# File extension → the MIME codes XRechnung allows for it (BT-125-1 mimeCode, code list of EN 16931).
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "pdf": frozenset({"application/pdf"}),
    "png": frozenset({"image/png"}),
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "csv": frozenset({"text/csv"}),
    "xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    "ods": frozenset({"application/vnd.oasis.opendocument.spreadsheet"}),
}
_ALLOWED_MIME = frozenset().union(*ALLOWED_TYPES.values())
_LABEL = "PDF, PNG, JPG, JPEG, CSV, XLSX, ODS"


@dataclass(frozen=True)
class Reason:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def check(attachments: list[EmbeddedAttachment], *, max_count: int) -> list[Reason]:
    reasons: list[Reason] = []
    if len(attachments) > max_count:
        reasons.append(Reason("attachment-count", f"Die Rechnung hat {len(attachments)} Anhänge; erlaubt sind "
                                                  f"höchstens {max_count}."))
    seen: set[str] = set()
    for number, attachment in enumerate(attachments, start=1):
        name = (attachment.filename or "").strip()
        label = f"„{name}“" if name else f"Anhang {number}"
        if not name:
            reasons.append(Reason("attachment-name", f"{label} hat keinen Dateinamen."))
        elif "@" in name:
            reasons.append(Reason("attachment-name", f"Der Dateiname {label} enthält ein „@“; das ist nicht "
                                                     "erlaubt."))
        if name and name.lower() in seen:
            reasons.append(Reason("attachment-name", f"Der Dateiname {label} kommt mehrfach vor; Dateinamen von "
                                                     "Anhängen müssen eindeutig sein."))
        seen.add(name.lower())
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        mime = (attachment.mime_code or "").strip().lower()
        if extension:
            allowed = extension in ALLOWED_TYPES and (not mime or mime in ALLOWED_TYPES[extension])
        else:
            allowed = mime in _ALLOWED_MIME
        if not allowed:
            shown = f"{extension.upper() or '?'}, {mime or 'ohne MIME-Typ'}"
            reasons.append(Reason("attachment-type", f"{label} hat einen nicht erlaubten Dateityp ({shown}); "
                                                     f"erlaubt sind {_LABEL}."))
    return reasons
