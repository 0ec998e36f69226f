"""A Bescheid as PDF/A-3b (ISO 19005-3): German layout in the order § 37/39 VwVfG and § 58 VwGO ask for
(authority, addressee, Aktenzeichen and date, Tenor, Begründung, Rechtsbehelfsbelehrung, fees), embedded
DejaVu fonts, XMP metadata and the sRGB output intent (fpdf2's PDF/A mode adds both), and the Bescheid data
as an associated file ``bescheid.json`` (AFRelationship /Data) so that software reads it without parsing text.
"""

import datetime as dt
import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.bescheid.render.fonts import FAMILY

if TYPE_CHECKING:
    from fpdf import FPDF

DATA_FILENAME = "bescheid.json"
TEST_MARK = "TESTUMGEBUNG Basisdienste - kein echter Bescheid"
_NEXT = {"new_x": "LMARGIN", "new_y": "NEXT"}  # fpdf2 takes its XPos/YPos members by name


@dataclass(frozen=True)
class RenderInput:
    """Everything printed on the notice, already validated."""

    authority_name: str
    authority_address: list[str]
    service: str
    title: str
    greeting: str
    closing: str
    number: str
    aktenzeichen: str
    date: dt.date
    addressee_name: str
    addressee_address: list[str]
    tenor: str
    begruendung: str
    rechtsbehelfsbelehrung: str
    fields: list[tuple[str, str]]  # (label, value) in the template's order
    fees: list[tuple[str, Decimal]]
    kassenzeichen: str | None
    data: dict[str, Any]  # what is embedded as bescheid.json
    created_at: dt.datetime


def euro(amount: Decimal) -> str:
    """German notation: 1.234,50 EUR."""
    whole, _, cents = f"{amount:,.2f}".partition(".")
    return f"{whole.replace(',', '.')},{cents} EUR"


@functools.cache
def _notice_class() -> "type[FPDF]":
    # fpdf2 takes 0.3 s to import: the first notice pays it, not every start of the suite.
    from fpdf import FPDF

    class Notice(FPDF):
        def __init__(self, authority: str) -> None:
            super().__init__(format="A4", enforce_compliance="PDF/A-3B")
            self.authority = authority

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font(FAMILY, "", 7)
            self.set_text_color(90, 90, 90)
            self.cell(0, 4, f"{self.authority} · {TEST_MARK}", align="L")
            self.cell(0, 4, f"Seite {self.page_no()} von {{nb}}", align="R", **_NEXT)
            self.set_text_color(0, 0, 0)

    return Notice


def render(doc: RenderInput, fonts: dict[str, Path]) -> bytes:
    """The unsealed PDF; ``fonts`` are the TrueType files per style (render.fonts.prepare)."""
    pdf = _notice_class()(doc.authority_name)  # type: ignore[call-arg]
    for style, path in fonts.items():
        pdf.add_font(FAMILY, style, str(path))
    pdf.set_margins(22, 18, 18)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_creation_date(doc.created_at)
    pdf.set_title(f"{doc.title} ({doc.number})")
    pdf.set_author(doc.authority_name)
    pdf.set_subject(f"{doc.service}, Aktenzeichen {doc.aktenzeichen}")
    pdf.set_keywords(f"Bescheid {doc.number} {doc.aktenzeichen} TEST")
    pdf.set_creator("Basisdienste Bescheid (Testumgebung)")
    pdf.set_lang("de-DE")
    pdf.add_page()

    # Letterhead: the issuing authority (§ 37 Abs. 3 VwVfG) and the test marking.
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(0, 7, doc.authority_name, **_NEXT)
    pdf.set_font(FAMILY, "", 8)
    pdf.set_text_color(160, 0, 0)
    pdf.cell(0, 4, TEST_MARK, **_NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FAMILY, "", 9)
    pdf.cell(0, 4, " · ".join(doc.authority_address), **_NEXT)
    pdf.ln(8)

    # Address field (DIN 5008) on the left, reference block on the right.
    top = pdf.get_y()
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(85, 5, "\n".join([doc.addressee_name, *doc.addressee_address]), **_NEXT)
    left_bottom = pdf.get_y()
    pdf.set_xy(125, top)
    pdf.set_font(FAMILY, "", 9)
    for label, value in (("Bescheid-Nr.", doc.number), ("Aktenzeichen", doc.aktenzeichen),
                         ("Datum", doc.date.strftime("%d.%m.%Y"))):
        pdf.set_x(125)
        pdf.cell(25, 5, label)
        pdf.cell(0, 5, value, **_NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 10)

    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(0, 6, doc.title, **_NEXT)
    pdf.set_font(FAMILY, "", 9)
    pdf.cell(0, 5, doc.service, **_NEXT)
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 5, doc.greeting, **_NEXT)
    pdf.ln(2)
    _section(pdf, "Entscheidung", doc.tenor)

    if doc.fields:
        pdf.ln(1)
        with pdf.table(col_widths=(45, 125), text_align="LEFT", line_height=5.5, first_row_as_headings=False,
                       borders_layout="HORIZONTAL_LINES") as table:
            for label, value in doc.fields:
                row = table.row()
                row.cell(label)
                row.cell(value)
        pdf.ln(3)

    if doc.fees:
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(0, 6, "Gebühren und Auslagen", **_NEXT)
        pdf.set_font(FAMILY, "", 10)
        with pdf.table(col_widths=(130, 40), text_align=("LEFT", "RIGHT"), line_height=5.5,
                       first_row_as_headings=False, borders_layout="HORIZONTAL_LINES") as table:
            for description, amount in doc.fees:
                row = table.row()
                row.cell(description)
                row.cell(euro(amount))
            row = table.row()
            row.cell("Gesamtbetrag")
            row.cell(euro(sum((a for _, a in doc.fees), Decimal("0"))))
        if doc.kassenzeichen:
            pdf.set_font(FAMILY, "", 9)
            pdf.cell(0, 6, f"Bitte geben Sie bei der Zahlung das Kassenzeichen {doc.kassenzeichen} an.", **_NEXT)
        pdf.ln(3)

    _section(pdf, "Begründung", doc.begruendung)
    _section(pdf, "Rechtsbehelfsbelehrung", doc.rechtsbehelfsbelehrung)
    pdf.ln(2)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 5, doc.closing, **_NEXT)
    pdf.ln(4)
    pdf.set_font(FAMILY, "", 8)
    pdf.multi_cell(0, 4, (
        "Dieser Bescheid wurde elektronisch erlassen und ist mit dem elektronischen Siegel der Behörde versehen "
        "(§ 3a Abs. 3 Nr. 3 Buchst. a VwVfG); er ist ohne Unterschrift gültig. Die Daten des Bescheids sind als "
        f"Datei {DATA_FILENAME} eingebettet. Siegel und Zertifikate stammen aus einer TEST-PKI."), **_NEXT)

    pdf.embed_file(bytes=json.dumps(doc.data, ensure_ascii=False, indent=2).encode(), basename=DATA_FILENAME,
                   desc="Daten des Bescheids (maschinenlesbar)", mime_type="application/json",
                   modification_date=doc.created_at, associated_file_relationship="Data")
    return bytes(pdf.output())


def _section(pdf: "FPDF", heading: str, text: str) -> None:
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 6, heading, **_NEXT)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 5, text, **_NEXT)
    pdf.ln(3)
