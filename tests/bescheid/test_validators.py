"""Independent validators accept the suite's seals, against ``basisdienste up`` on a real port (the certificates'
OCSP/CRL URLs must answer, as pdfsig asks the OCSP responder): poppler's ``pdfsig`` with the TEST root in an NSS
database (Debian libnss3-tools' certutil), ``openssl cms -verify`` over the signed byte range, ``openssl ts
-verify`` for the signature and archive timestamps, pyHanko's ETSI EN 319 102-1 LTA validation offline, and
``qpdf --check``."""

import asyncio
import hashlib
import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager

from tests import browser
from tests.bescheid.tools import CLIENT_ID, CLIENT_SECRET, notice

LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
SIGNATURE_TIMESTAMP = "1.2.840.113549.1.9.16.2.14"
# A real `basisdienste up` from empty data: the certificates must name the port the validators ask.
pytestmark = pytest.mark.slow
needs_certutil = pytest.mark.skipif(shutil.which("certutil") is None,
                                    reason="certutil missing: install the Debian package libnss3-tools")


class Sealed:
    def __init__(self, base: str, folder: Path) -> None:
        self.base = base
        self.folder = folder
        self.pdfs: dict[str, Path] = {}
        self.ids: dict[str, str] = {}


def run(*args: str, cwd: Path, ok: bool = True) -> str:
    done = subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=120)
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sealed]:
    with browser.running_suite(tmp_path_factory.mktemp("up"), None) as base:
        folder = tmp_path_factory.mktemp("pdfs")
        out = Sealed(base, folder)
        with httpx.Client(base_url=base, timeout=60) as http:
            token = http.post("/nutzerkonto/token", data={"grant_type": "client_credentials", "resource": "bescheid"},
                              auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for level in LEVELS:
                created = http.post("/bescheid/api/v1/bescheide", json=notice(padesLevel=level), headers=headers)
                assert created.status_code == 201, created.text
                out.ids[level] = created.json()["id"]
                pdf = http.get(f"/bescheid/api/v1/bescheide/{out.ids[level]}/pdf", headers=headers)
                out.pdfs[level] = folder / f"{level}.pdf"
                out.pdfs[level].write_bytes(pdf.content)
            tampered = http.get(f"/_emulator/bescheid/bescheide/{out.ids['B-LT']}/tampered.pdf")
            (folder / "tampered.pdf").write_bytes(tampered.content)
            (folder / "root.pem").write_text(http.get("/bescheid/pki/root.pem").text)
            (folder / "tsa.der").write_bytes(http.get("/bescheid/pki/tsa.crt").content)
            run("openssl", "x509", "-inform", "DER", "-in", "tsa.der", "-out", "tsa.pem", cwd=folder)
            yield out


def signatures(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """(signed bytes, CMS DER) of every signature field, read from /ByteRange and /Contents directly."""
    found = []
    for match in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf):
        a, b, c, d = (int(x) for x in match.groups())
        signed = pdf[a:a + b] + pdf[c:c + d]
        hex_contents = pdf[a + b:c].strip().lstrip(b"<").rstrip(b">")
        # /Contents is zero-padded; the DER's own length says where the CMS ends.
        blob = bytes.fromhex(hex_contents.decode())
        found.append((signed, cms.ContentInfo.load(blob, strict=False).dump()))
    return found


@needs_certutil
def test_pdfsig_finds_every_level_valid_and_trusted_and_a_tampered_copy_broken(sealed: Sealed) -> None:
    nss = sealed.folder / "nss"
    nss.mkdir(exist_ok=True)
    run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password", cwd=sealed.folder)
    run("certutil", "-A", "-d", f"sql:{nss}", "-n", "basisdienste-test-root", "-t", "CT,C,C", "-i", "root.pem",
        cwd=sealed.folder)
    for level, path in sealed.pdfs.items():
        report = run("pdfsig", "-nssdir", f"sql:{nss}", str(path), cwd=sealed.folder, ok=False)
        first = report.split("Signature #2")[0]
        assert "Signature Validation: Signature is Valid." in first, (level, report)
        assert "Certificate Validation: Certificate is Trusted." in first, (level, report)
        assert "Signer Certificate Common Name: TEST Behördensiegel Stadt Koblenz" in first
    broken = run("pdfsig", "-nssdir", f"sql:{nss}", "tampered.pdf", cwd=sealed.folder, ok=False)
    assert "Digest Mismatch" in broken, broken


def test_openssl_verifies_the_cms_over_the_signed_byte_range(sealed: Sealed) -> None:
    for level, path in sealed.pdfs.items():
        signed, der = signatures(path.read_bytes())[0]
        (sealed.folder / "signed.bin").write_bytes(signed)
        (sealed.folder / "sig.der").write_bytes(der)
        result = run("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-content",
                     "signed.bin", "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null", cwd=sealed.folder)
        assert "Verification successful" in result, level
    (sealed.folder / "signed.bin").write_bytes(signatures((sealed.folder / "tampered.pdf").read_bytes())[0][0])
    refused = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-content",
                              "signed.bin", "-CAfile", "root.pem", "-purpose", "any", "-out", "/dev/null"],
                             cwd=sealed.folder, capture_output=True, text=True)
    assert refused.returncode != 0


def test_openssl_verifies_the_signature_and_archive_timestamps(sealed: Sealed) -> None:
    folder = sealed.folder
    for level in ("B-T", "B-LT", "B-LTA"):
        pdf = sealed.pdfs[level].read_bytes()
        _, der = signatures(pdf)[0]
        signer = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
        tokens = [a["values"][0] for a in signer["unsigned_attrs"] if a["type"].dotted == SIGNATURE_TIMESTAMP]
        assert tokens, level
        (folder / "tst.der").write_bytes(tokens[0].dump())
        digest = hashlib.sha256(signer["signature"].native).hexdigest()
        result = run("openssl", "ts", "-verify", "-digest", digest, "-in", "tst.der", "-token_in", "-CAfile",
                     "root.pem", "-untrusted", "tsa.pem", cwd=folder)
        assert "Verification: OK" in result, level
    signed, archive = signatures(sealed.pdfs["B-LTA"].read_bytes())[-1]
    (folder / "archive.der").write_bytes(archive)
    (folder / "archive-range.bin").write_bytes(signed)
    result = run("openssl", "ts", "-verify", "-data", "archive-range.bin", "-in", "archive.der", "-token_in",
                 "-CAfile", "root.pem", "-untrusted", "tsa.pem", cwd=folder)
    assert "Verification: OK" in result


def test_pyhanko_ades_validation_passes_offline_at_b_lta(sealed: Sealed) -> None:
    root = asn1_x509.Certificate.load(subprocess.run(
        ["openssl", "x509", "-in", "root.pem", "-outform", "DER"], capture_output=True, cwd=sealed.folder).stdout)
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=[root]),
                                                        revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO)),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)))
    reader = PdfFileReader(io.BytesIO(sealed.pdfs["B-LTA"].read_bytes()))
    result = asyncio.run(ades_lta_validation(reader.embedded_signatures[0], spec))
    assert result.ades_subindic.status.name == "PASSED", result.ades_subindic
    assert result.api_status is not None and result.api_status.bottom_line


def test_qpdf_finds_every_sealed_file_clean(sealed: Sealed) -> None:
    for path in sealed.pdfs.values():
        assert "No syntax or stream encoding errors found" in run("qpdf", "--check", str(path), cwd=sealed.folder)


@needs_certutil
def test_pdfsig_reports_a_revoked_seal_through_the_ocsp_responder(sealed: Sealed) -> None:
    """Last in this module: it revokes the running suite's Koblenz seal."""
    nss = sealed.folder / "nss-revoked"
    nss.mkdir()
    run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password", cwd=sealed.folder)
    run("certutil", "-A", "-d", f"sql:{nss}", "-n", "basisdienste-test-root", "-t", "CT,C,C", "-i", "root.pem",
        cwd=sealed.folder)
    revoked = httpx.post(f"{sealed.base}/_emulator/bescheid/authorities/stadt-koblenz/seal-certificate",
                         json={"state": "revoked"}, timeout=30)
    assert revoked.status_code == 200, revoked.text
    report = run("pdfsig", "-nssdir", f"sql:{nss}", str(sealed.pdfs["B-B"]), cwd=sealed.folder, ok=False)
    assert "Signature is Valid." in report and "Certificate has been Revoked." in report, report

@pytest.fixture(autouse=True)
def _fresh() -> None:
    """These tests use their own ``basisdienste up``, not the in-process suite the other modules reset."""
