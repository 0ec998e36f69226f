"""The verification endpoint: reports for every level, the ETSI TS 119 102-2 XML, tampered and revoked seals,
the defective-certificate controls, and hostile uploads. The revocation is also checked with pyHanko directly."""

import io
import zlib

import httpx
import pytest
from asn1crypto import x509 as asn1_x509
from fpdf import FPDF
from lxml import etree
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.bescheid.tools import auth, notice

pytestmark = pytest.mark.asyncio(loop_scope="package")
API = "/bescheid/api/v1"
ETSI = "{http://uri.etsi.org/19102/v1.2.1#}"


async def sealed(client: httpx.AsyncClient, headers: dict[str, str], **overrides: object) -> tuple[dict, bytes]:
    created = await client.post(f"{API}/bescheide", json=notice(**overrides), headers=headers)
    assert created.status_code == 201, created.text
    pdf = await client.get(f"{API}/bescheide/{created.json()['id']}/pdf", headers=headers)
    return created.json(), pdf.content


async def verify(client: httpx.AsyncClient, pdf: bytes, **headers: str) -> httpx.Response:
    return await client.post(f"{API}/verify", content=pdf, headers={"Content-Type": "application/pdf", **headers})


async def test_every_level_verifies_as_sealed(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    for level in ("B-B", "B-T", "B-LT", "B-LTA"):
        _, pdf = await sealed(client, headers, padesLevel=level)
        answer = await verify(client, pdf)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["indication"] == "TOTAL_PASSED", report
        assert report["level"] == level
        seal = report["signatures"][0]
        assert seal["intact"] and seal["trusted"] and seal["revocation"]["status"] == "good"
        assert seal["timestamp"]["present"] is (level != "B-B")
        assert seal["signer"]["qcStatements"] == {"present": True, "qcCompliance": True, "qcSSCD": True,
                                                  "qcTypeESeal": True}
        assert [s["type"] for s in report["signatures"]] == (
            ["signature", "document-timestamp"] if level == "B-LTA" else ["signature"])
        xml = await verify(client, pdf, Accept="application/xml")
        assert xml.headers["content-type"] == "application/xml"
        root = etree.fromstring(xml.content)
        assert root.tag == f"{ETSI}ValidationReport"
        indications = root.findall(f".//{ETSI}MainIndication")
        assert [i.text for i in indications] == ["urn:etsi:019102:mainindication:total-passed"] * len(
            report["signatures"])
        assert root.find(f".//{ETSI}SignatureQualityInformation").text.endswith("QESeal")


async def test_a_tampered_copy_fails(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    bescheid, pdf = await sealed(client, headers, padesLevel="B-T")
    tampered = await client.get(f"/_emulator/bescheid/bescheide/{bescheid['id']}/tampered.pdf")
    assert tampered.status_code == 200 and tampered.content != pdf and len(tampered.content) == len(pdf)
    report = (await verify(client, tampered.content)).json()
    assert report["indication"] == "TOTAL_FAILED"
    assert report["subIndication"] == "HASH_FAILURE"
    assert report["signatures"][0]["intact"] is False


async def test_a_revoked_seal_is_reported_revoked_here_and_by_pyhanko(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    _, pdf = await sealed(client, headers, padesLevel="B-B")
    revoke = await client.post("/_emulator/bescheid/authorities/stadt-koblenz/seal-certificate",
                               json={"state": "revoked"})
    assert revoke.status_code == 200
    report = (await verify(client, pdf)).json()
    assert report["signatures"][0]["revocation"]["status"] == "revoked"
    assert (report["indication"], report["subIndication"]) == ("INDETERMINATE", "REVOKED_NO_POE")
    xml = etree.fromstring((await verify(client, pdf, Accept="application/xml")).content)
    assert xml.find(f".//{ETSI}RevocationStatusInformation") is not None

    # pyHanko, given the trust anchor and the CRL the suite publishes, reaches the same verdict.
    root = (await client.get("/bescheid/pki/root.crt")).content
    crl = (await client.get("/bescheid/pki/crl")).content
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(root)], crls=[crl], allow_fetching=False,
                                revocation_mode="hard-fail")
    status = await async_validate_pdf_signature(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0], context)
    assert status.intact and status.revoked and not status.bottom_line

    # Sealing goes on with the revoked certificate (a broken upstream), flagged, and at most at B-T.
    later, _ = await sealed(client, headers)
    assert "seal-certificate-revoked" in later["seal"]["warnings"]
    assert later["seal"]["padesLevel"] == "B-T"


async def test_expired_and_unqualified_seal_certificates(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    await client.post("/_emulator/bescheid/authorities/stadt-koblenz/seal-certificate", json={"state": "expired"})
    bescheid, pdf = await sealed(client, headers)
    assert "seal-certificate-expired" in bescheid["seal"]["warnings"]
    report = (await verify(client, pdf)).json()
    assert report["signatures"][0]["certificateExpired"] is True
    assert report["indication"] == "INDETERMINATE"

    await client.post("/_emulator/bescheid/authorities/stadt-koblenz/seal-certificate",
                      json={"state": "no-qcstatement"})
    bescheid, pdf = await sealed(client, headers, padesLevel="B-T")
    assert bescheid["seal"]["warnings"] == ["seal-certificate-not-qualified"]
    report = (await verify(client, pdf)).json()
    assert report["signatures"][0]["signer"]["qcStatements"]["present"] is False
    xml = etree.fromstring((await verify(client, pdf, Accept="application/xml")).content)
    assert xml.find(f".//{ETSI}SignatureQualityInformation").text.endswith("AdESeal")

    await client.post("/_emulator/bescheid/authorities/stadt-koblenz/seal-certificate", json={"state": "valid"})
    _, pdf = await sealed(client, headers, padesLevel="B-T")
    assert (await verify(client, pdf)).json()["indication"] == "TOTAL_PASSED"


def bomb() -> bytes:
    """A small PDF whose one stream inflates to 200 MB."""
    payload = zlib.compress(b"\0" * (200 * 1024 * 1024), 9)
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Length "
            + str(len(payload)).encode() + b" /Filter /FlateDecode >>\nstream\n" + payload
            + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


async def test_hostile_uploads_get_a_clear_4xx(client: httpx.AsyncClient) -> None:
    not_pdf = await verify(client, b"<html>kein PDF</html>")
    assert not_pdf.status_code == 415 and not_pdf.json()["type"].endswith("not-a-pdf")
    wrong_type = await client.post(f"{API}/verify", content=b"%PDF-1.7", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    exploding = bomb()
    assert len(exploding) < 1024 * 1024
    refused = await verify(client, exploding)
    assert refused.status_code == 422 and refused.json()["type"].endswith("pdf-bomb")
    truncated = await verify(client, b"%PDF-1.7\n1 0 obj\n<<")
    assert truncated.status_code == 422
    garbage = await verify(client, b"%PDF-1.7\n" + b"\x00garbage" * 100 + b"\n%%EOF\n")
    assert garbage.status_code == 422 and garbage.json()["type"].endswith("pdf-unreadable")
    unsigned = await client.post(f"{API}/verify", files={"file": ("a.pdf", unsigned_pdf(), "application/pdf")})
    assert unsigned.status_code == 200
    assert unsigned.json()["indication"] == "TOTAL_FAILED" and unsigned.json()["subIndication"] == "NO_SIGNATURE"


def unsigned_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    return bytes(pdf.output())
