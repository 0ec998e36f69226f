"""The test PKI as OpenSSL sees it: certificate profiles (QCStatements, organizationIdentifier, critical key
usage, CRL/OCSP URLs, TSA EKU), the RFC 3161 TSA, the CRL and the OCSP responder, before and after a
revocation. The root survives a reset."""

import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

pytestmark = pytest.mark.asyncio(loop_scope="package")


def openssl(*args: str, cwd: Path) -> str:
    done = subprocess.run(["openssl", *args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


async def fetch(client: httpx.AsyncClient, path: str, target: Path, media_type: str) -> x509.Certificate | bytes:
    answer = await client.get(f"/bescheid{path}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == media_type
    target.write_bytes(answer.content)
    return answer.content


async def certificates(client: httpx.AsyncClient, tmp_path: Path) -> dict[str, x509.Certificate]:
    out = {}
    for name, path in (("root", "/pki/root.crt"), ("tsa", "/pki/tsa.crt"), ("seal", "/pki/seals/stadt-koblenz.crt")):
        der = await fetch(client, path, tmp_path / f"{name}.der", "application/pkix-cert")
        certificate = x509.load_der_x509_certificate(der)  # type: ignore[arg-type]
        (tmp_path / f"{name}.pem").write_text(
            subprocess.run(["openssl", "x509", "-inform", "DER", "-in", f"{name}.der"], capture_output=True,
                           text=True, cwd=tmp_path).stdout)
        out[name] = certificate
    return out


async def test_certificates_have_the_qualified_seal_profile_and_say_test(client: httpx.AsyncClient,
                                                                          tmp_path: Path) -> None:
    certs = await certificates(client, tmp_path)
    for certificate in certs.values():
        assert "TEST" in certificate.subject.rfc4514_string()
    seal = certs["seal"]
    assert seal.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == "NTRDE-071110000000"
    usage = seal.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    points = seal.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    assert points[0].full_name[0].value == "http://127.0.0.1:8000/bescheid/pki/crl"
    access = seal.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert "http://127.0.0.1:8000/bescheid/pki/ocsp" in [a.access_location.value for a in access]
    # QCStatements: QcCompliance (0.4.0.1862.1.1) and QcType eSeal (0.4.0.1862.1.6.2), read by OpenSSL.
    parsed = openssl("asn1parse", "-inform", "DER", "-in", "seal.der", cwd=tmp_path)
    assert "qcStatements" in parsed or "1.3.6.1.5.5.7.1.3" in parsed
    statements = seal.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")).value
    (tmp_path / "qc.der").write_bytes(statements.value)  # type: ignore[attr-defined]
    qc = openssl("asn1parse", "-inform", "DER", "-in", "qc.der", cwd=tmp_path)
    assert "0.4.0.1862.1.1" in qc and "0.4.0.1862.1.6.2" in qc
    tsa_usage = certs["tsa"].extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
    assert tsa_usage.critical and list(tsa_usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert "OK" in openssl("verify", "-CAfile", "root.pem", "seal.pem", "tsa.pem", cwd=tmp_path)


async def test_the_tsa_answers_openssl_ts_queries(client: httpx.AsyncClient, tmp_path: Path) -> None:
    await certificates(client, tmp_path)
    (tmp_path / "data.txt").write_text("Bescheid KO-2026-000001")
    openssl("ts", "-query", "-data", "data.txt", "-sha256", "-cert", "-out", "query.tsq", cwd=tmp_path)
    answer = await client.post("/bescheid/tsa", content=(tmp_path / "query.tsq").read_bytes(),
                               headers={"Content-Type": "application/timestamp-query"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/timestamp-reply"
    (tmp_path / "reply.tsr").write_bytes(answer.content)
    assert "Granted" in openssl("ts", "-reply", "-in", "reply.tsr", "-text", cwd=tmp_path)
    verified = openssl("ts", "-verify", "-data", "data.txt", "-in", "reply.tsr", "-CAfile", "root.pem",
                       "-untrusted", "tsa.pem", cwd=tmp_path)
    assert "Verification: OK" in verified
    (tmp_path / "other.txt").write_text("Bescheid KO-2026-000002")
    wrong = subprocess.run(["openssl", "ts", "-verify", "-data", "other.txt", "-in", "reply.tsr", "-CAfile",
                            "root.pem", "-untrusted", "tsa.pem"], capture_output=True, text=True, cwd=tmp_path)
    assert wrong.returncode != 0
    garbage = await client.post("/bescheid/tsa", content=b"kein DER",
                                headers={"Content-Type": "application/timestamp-query"})
    assert garbage.status_code == 400


async def test_crl_and_ocsp_report_a_revocation(client: httpx.AsyncClient, tmp_path: Path) -> None:
    certs = await certificates(client, tmp_path)
    serial = format(certs["seal"].serial_number, "X")

    async def ocsp_status() -> str:
        openssl("ocsp", "-issuer", "root.pem", "-cert", "seal.pem", "-reqout", "req.der", cwd=tmp_path)
        answer = await client.post("/bescheid/pki/ocsp", content=(tmp_path / "req.der").read_bytes(),
                                   headers={"Content-Type": "application/ocsp-request"})
        assert answer.headers["content-type"] == "application/ocsp-response"
        (tmp_path / "resp.der").write_bytes(answer.content)
        # With the request in, OpenSSL also checks that the response echoes its nonce.
        checked = openssl("ocsp", "-respin", "resp.der", "-reqin", "req.der", "-CAfile", "root.pem", "-resp_text",
                          cwd=tmp_path)
        assert "Response verify OK" in checked
        return checked

    async def crl_text() -> str:
        await fetch(client, "/pki/crl", tmp_path / "crl.der", "application/pkix-crl")
        return openssl("crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "root.pem", "-text", cwd=tmp_path)

    assert "Cert Status: good" in await ocsp_status()
    before = await crl_text()
    assert "verify OK" in before and serial not in before.replace(":", "")
    revoked = await client.post("/_emulator/bescheid/authorities/stadt-koblenz/seal-certificate",
                                json={"state": "revoked"})
    assert revoked.status_code == 200, revoked.text
    assert "Cert Status: revoked" in await ocsp_status()
    after = await crl_text()
    assert "verify OK" in after and serial in after.replace(":", "").upper()
    await client.post("/_emulator/reset")
    assert "Cert Status: good" in await ocsp_status()


async def test_the_root_survives_a_reset(client: httpx.AsyncClient) -> None:
    before = (await client.get("/bescheid/pki/root.crt")).content
    assert (await client.post("/_emulator/reset")).status_code == 200
    assert (await client.get("/bescheid/pki/root.crt")).content == before
