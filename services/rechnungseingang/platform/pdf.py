"""Takes the XML out of a ZUGFeRD/Factur-X hybrid PDF (PDF/A-3 with an embedded ``factur-x.xml``,
``zugferd-invoice.xml`` or ``xrechnung.xml``). The PDF part itself is discarded, as the real platform does, and
the XML goes through the same checks as an uploaded XML file.

pypdf (which factur-x's ``get_xml_from_pdf`` also uses) inflates embedded files; its limits are lowered here so that
a flate bomb hidden as the invoice XML stops at a few MB instead of 75 MB. factur-x's own function is not used because
it parses every candidate with lxml's default parser, before this service's DOCTYPE check could refuse it.
"""

from dataclasses import dataclass
from io import BytesIO

import pypdf
from pypdf.errors import LimitReachedError, PyPdfError

from services.rechnungseingang.platform.document import RefusedDocument

# Names the standards give the invoice XML, most specific first (ZUGFeRD 2.x / Factur-X, ZUGFeRD 1, XRechnung).
INVOICE_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
MAX_EMBEDDED_FILES = 250


@dataclass
class ExtractedPdf:
    xml: bytes
    xml_name: str
    # Every other embedded file (name, inflated bytes): the virus scan reads them too.
    others: list[tuple[str, bytes]]


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def extract(data: bytes, *, max_stream_bytes: int) -> ExtractedPdf:
    """The invoice XML of a hybrid PDF, or :class:`RefusedDocument`. CPU-bound: call it in a worker thread
    (pypdf's limits are context variables, so they apply to this call only)."""
    limits = {name: max_stream_bytes for name in (
        "zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
        "array_based_stream_maximum_output_length", "maximum_declared_stream_length",
        "jbig2_maximum_output_length", "brotli_maximum_output_length")}
    try:
        with pypdf.apply_configuration(**limits):
            reader = pypdf.PdfReader(BytesIO(data), strict=False)
            files: list[tuple[str, bytes]] = []
            total = 0
            for attachment in reader.attachment_list:
                if len(files) >= MAX_EMBEDDED_FILES:
                    raise RefusedDocument("pdf-too-many-files", "Die PDF-Datei enthält zu viele eingebettete "
                                          "Dateien.")
                content = attachment.content
                total += len(content)
                if total > max_stream_bytes:
                    raise LimitReachedError("embedded files together exceed the limit")
                files.append((str(attachment.name), content))
    except LimitReachedError as exc:
        raise RefusedDocument("pdf-decompression-limit", "Eine eingebettete Datei der PDF-Datei entpackt sich auf "
                              f"mehr als {max_stream_bytes // (1024 * 1024)} MB; die Datei wird nicht "
                              "verarbeitet.") from exc
    except RefusedDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        # pypdf reports malformed files with many exception types; each means "not a PDF we can read".
        raise RefusedDocument("pdf-unreadable", f"Die PDF-Datei kann nicht gelesen werden: {exc}") from exc
    by_name = {name.lower(): (name, content) for name, content in files}
    chosen = next((by_name[n] for n in INVOICE_NAMES if n in by_name), None)
    if chosen is None:
        chosen = next(((n, c) for n, c in files if n.lower().endswith(".xml")), None)
    if chosen is None:
        raise RefusedDocument("pdf-without-invoice", "Die PDF-Datei enthält keine eingebettete Rechnungs-XML "
                              "(ZUGFeRD/Factur-X: factur-x.xml, zugferd-invoice.xml oder xrechnung.xml). Eine "
                              "reine PDF-Rechnung ist keine E-Rechnung.")
    return ExtractedPdf(xml=chosen[1], xml_name=chosen[0], others=[f for f in files if f is not chosen])
