"""Hostile input and the platform's own checks: each refusal is a clear 4xx problem and stores nothing; the
hybrid-PDF channel; the EICAR scan; attachment rules; failures on demand."""

import base64
import io
import zlib

import httpx
import pypdf
import pytest
from fpdf import FPDF
from pypdf.generic import NameObject, NumberObject

from tests.rechnungseingang.tools import (
    API,
    CII,
    bearer,
    koblenz_invoice,
    supplier_token,
    upload,
)

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def hybrid_pdf(xml: bytes, name: str = "factur-x.xml") -> bytes:
    """A PDF with the invoice XML embedded, as ZUGFeRD/Factur-X tools write it."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Rechnung")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(bytes(document.output())))
    writer.add_attachment(name, xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flate_bomb_pdf(megabytes: int = 500) -> bytes:
    """A hybrid PDF whose factur-x.xml inflates to ``megabytes`` of zeros (half a MB on disk)."""
    compressor = zlib.compressobj(9)
    zeros = b"\0" * 2**20
    compressed = b"".join(compressor.compress(zeros) for _ in range(megabytes)) + compressor.flush()
    pdf = hybrid_pdf(b"<x/>")
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf))
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    stream = names[1].get_object()["/EF"]["/F"].get_object()
    stream._data = compressed
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream[NameObject("/Length")] = NumberObject(len(compressed))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_attachment(xml: bytes, filename: str, mime: str, content: bytes) -> bytes:
    """A UBL invoice with one more embedded attachment (BG-24) before the supplier party."""
    reference = (f'<cac:AdditionalDocumentReference><cbc:ID>{filename}</cbc:ID><cac:Attachment>'
                 f'<cbc:EmbeddedDocumentBinaryObject mimeCode="{mime}" filename="{filename}">'
                 f'{base64.b64encode(content).decode()}</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>'
                 f'</cac:AdditionalDocumentReference>').encode()
    return xml.replace(b"<cac:AccountingSupplierParty>", reference + b"<cac:AccountingSupplierParty>", 1)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice SYSTEM "http://127.0.0.1:9/evil.dtd">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"""
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' .encode()
                     + (f'&lol{i - 1};' * 9).encode() + b'">' for i in range(1, 10))
          + b']><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol9;</Invoice>')


async def _nothing_stored(client: httpx.AsyncClient, token: str) -> None:
    assert (await client.get(f"{API}/invoices", headers=bearer(token))).json()["invoices"] == []


@pytest.mark.parametrize("document", [XXE, EXTERNAL_DTD, LAUGHS, b"<?xml version='1.0'?><!DOCTYPE a><a/>",
                                      b"kein XML", b"<Invoice><unclosed></Invoice>"],
                         ids=["xxe", "external-dtd", "billion-laughs", "empty-doctype", "text", "malformed"])
async def test_hostile_or_broken_xml_is_a_400_and_stores_nothing(client: httpx.AsyncClient,
                                                                  document: bytes) -> None:
    token = await supplier_token(client)
    answer = await upload(client, token, document)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "root:" not in answer.text  # nothing of /etc/passwd
    await _nothing_stored(client, token)


async def test_a_25_mb_upload_is_413_before_it_is_read(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    declared = await upload(client, token, b"<a/>" + b" " * (25 * 2**20))
    assert declared.status_code == 413 and declared.json()["type"].endswith("body-too-large")

    async def chunks():  # no Content-Length: the cap counts the stream and stops it
        for _ in range(25):
            yield b" " * 2**20

    streamed = await client.post(f"{API}/invoices", content=chunks(),
                                 headers={**bearer(token), "Content-Type": "application/xml"})
    assert streamed.status_code == 413
    await _nothing_stored(client, token)


async def test_a_hybrid_pdf_is_read_for_its_xml(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    answer = await upload(client, token, hybrid_pdf(koblenz_invoice(CII)), "application/pdf")
    assert answer.status_code == 201, answer.text
    assert answer.json()["sourceFormat"] == "pdf" and answer.json()["syntax"] == "cii"
    plain = await upload(client, token, hybrid_pdf(b"\x89PNG", name="bild.png"), "application/pdf")
    assert plain.status_code == 422 and plain.json()["type"].endswith("pdf-without-invoice")


async def test_a_flate_bomb_in_a_pdf_is_refused(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    answer = await upload(client, token, flate_bomb_pdf(), "application/pdf")
    assert answer.status_code == 422 and answer.json()["type"].endswith("pdf-decompression-limit")
    await _nothing_stored(client, token)


async def test_eicar_is_found_in_the_file_and_in_embedded_attachments(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    in_comment = koblenz_invoice().replace(b"<cbc:ID>", b"<!-- " + EICAR + b" --><cbc:ID>", 1)
    embedded = with_attachment(koblenz_invoice(), "aufmass.pdf", "application/pdf", b"%PDF-1.4 " + EICAR)
    in_pdf = hybrid_pdf(embedded)
    for data, kind in ((in_comment, "application/xml"), (embedded, "application/xml"), (in_pdf, "application/pdf")):
        answer = await upload(client, token, data, kind)
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"].endswith("virus-found") and answer.json()["signature"] == "EICAR-Test-File"
    await _nothing_stored(client, token)


async def test_attachment_rules(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    fine = with_attachment(koblenz_invoice(), "stundenzettel.csv", "text/csv", b"a;b\n1;2\n")
    assert (await upload(client, token, fine)).status_code == 201
    cases = {
        "programm.exe": ("application/pdf", "attachment-type"),
        "a@b.pdf": ("application/pdf", "attachment-name"),
    }
    for name, (mime, code) in cases.items():
        answer = await upload(client, token, with_attachment(koblenz_invoice(), name, mime, b"%PDF-1.4"))
        assert answer.status_code == 422, name
        assert code in [r["code"] for r in answer.json()["invoice"]["reasons"]], answer.json()
    twice = with_attachment(with_attachment(koblenz_invoice(), "a.pdf", "application/pdf", b"%PDF"), "a.pdf",
                            "application/pdf", b"%PDF")
    answer = await upload(client, token, twice)
    assert answer.status_code == 422 and "attachment-name" in [r["code"] for r in answer.json()["invoice"]["reasons"]]


async def test_faults_make_the_validator_and_the_scan_fail_on_demand(client: httpx.AsyncClient) -> None:
    token = await supplier_token(client)
    for operation in ("validation", "virus-scan"):
        armed = await client.post("/_emulator/faults", json={"service": "rechnungseingang",
                                                             "operation": operation, "status": 503, "times": 1})
        assert armed.status_code == 201, armed.text
        failed = await upload(client, token, koblenz_invoice())
        assert failed.status_code == 503 and failed.json()["type"].endswith("injected-fault")
        await _nothing_stored(client, token)
    assert (await upload(client, token, koblenz_invoice())).status_code == 201
