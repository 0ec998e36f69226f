"""HSM-style sealing through PKCS#11 with SoftHSM v2: the service generates the seal key inside a token, never
holds it, seals with it, and the seal verifies (with openssl cms and the service's verifier)."""

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pkcs11
import pytest
from asn1crypto import cms
from pkcs11 import Attribute, ObjectClass

from services.bescheid.pki.certificates import PkiUrls
from services.bescheid.pki.hsm import Hsm
from services.bescheid.pki.store import AuthorityIdentity, TestPki
from services.bescheid.seal.sealer import LocalTimeStamper, SealMaterial, seal
from services.bescheid.seal.verify import Evidence, verify
from tests.bescheid.test_verify import unsigned_pdf

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
pytestmark = pytest.mark.skipif(not MODULE.is_file() or shutil.which("softhsm2-util") is None,
                                reason="SoftHSM v2 missing: install the Debian package softhsm2")
KOBLENZ = AuthorityIdentity("stadt-koblenz", "Stadt Koblenz", "NTRDE-071110000000")


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "tokens").mkdir()
    config = tmp_path / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(config))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "bescheid-test", "--pin", "1234",
                    "--so-pin", "5678"], check=True, capture_output=True)
    return "bescheid-test"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    """No suite needed here."""


def test_a_seal_made_in_the_token_verifies(token: str, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    pki = TestPki("ec", 3072, PkiUrls("http://x/root.crt", "http://x/crl", "http://x/ocsp"))
    pki.hsm = Hsm(MODULE, token, "1234")
    try:
        pki.install(pki.generate({}, now, [KOBLENZ]), [KOBLENZ], [])
        credential = pki.seal_for("stadt-koblenz")
        assert credential.key is None and credential.hsm_label == "seal:stadt-koblenz@pkcs11"
        [private] = pki.hsm.session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                                 Attribute.LABEL: credential.hsm_label})
        assert private[Attribute.SENSITIVE] and not private[Attribute.EXTRACTABLE]
        with pytest.raises(pkcs11.exceptions.PKCS11Error):
            private[Attribute.VALUE]
        assert pki.root is not None and pki.tsa is not None
        material = SealMaterial(signer=pki.signer_for("stadt-koblenz"),
                                timestamper=LocalTimeStamper(pki.tsa, lambda: now), trust_root=pki.root.asn1,
                                crl=None, ocsps=[], moment=now)
        sealed = seal(unsigned_pdf(), "B-T", material, reason="HSM")
        assert pki.revocation is not None
        report = verify(sealed, Evidence(root=pki.root.asn1, crl=pki.revocation.crl(now),
                                         ocsp_for=lambda s: None, revoked={}, now=now))
        assert report["indication"] == "TOTAL_PASSED" and report["level"] == "B-T", report

        match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", sealed)
        assert match is not None
        a, b, c, d = (int(x) for x in match.groups())
        (tmp_path / "signed.bin").write_bytes(sealed[a:a + b] + sealed[c:c + d])
        contents = bytes.fromhex(sealed[a + b:c].strip(b"<>").decode())  # zero-padded; the DER knows its length
        (tmp_path / "sig.der").write_bytes(cms.ContentInfo.load(contents, strict=False).dump())
        (tmp_path / "root.pem").write_text(pki.root.certificate_pem)
        checked = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der",
                                  "-content", "signed.bin", "-CAfile", "root.pem", "-purpose", "any", "-out",
                                  "/dev/null"], capture_output=True, text=True, cwd=tmp_path)
        assert "Verification successful" in checked.stderr, checked.stderr
    finally:
        pki.hsm.close()
