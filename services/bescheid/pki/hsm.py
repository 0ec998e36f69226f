"""Seal keys in an HSM through PKCS#11 (tested with Debian's SoftHSM v2): the key pair is generated inside the
token (sensitive, not extractable), only its public key leaves it to be certified by the test root, and every seal
is computed by the token. SoftHSM has no CKM_ECDSA_SHA256, so pyHanko hashes and the token signs the raw digest
(``use_raw_mechanism``). One session is opened at startup and shared; a lock serialises the worker threads'
calls on it, as PKCS#11 does not allow concurrent use of one session."""

import threading
from pathlib import Path
from typing import Any

import pkcs11
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute, KeyType, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pyhanko.sign.pkcs11 import PKCS11Signer

from services.bescheid.pki.certificates import PublicKey


class HsmUnavailable(RuntimeError):
    pass


class LockedPkcs11Signer(PKCS11Signer):
    """pyHanko's PKCS#11 signer, one signature at a time on the shared session."""

    def __init__(self, lock: threading.Lock, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = lock

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        with self._lock:
            return await super().async_sign_raw(data, digest_algorithm, dry_run)


class Hsm:
    def __init__(self, module: Path, token_label: str, user_pin: str) -> None:
        if not Path(module).is_file():
            raise HsmUnavailable(f"PKCS#11 module {module} not found (Debian package softhsm2)")
        try:
            token = pkcs11.lib(str(module)).get_token(token_label=token_label)
            self.session = token.open(user_pin=user_pin, rw=True)
        except (pkcs11.exceptions.PKCS11Error, pkcs11.exceptions.NoSuchToken) as exc:
            raise HsmUnavailable(f"cannot open PKCS#11 token {token_label!r}: {type(exc).__name__} {exc}") from exc
        self.lock = threading.Lock()

    def public_key(self, label: str) -> PublicKey:
        """The public key of the key pair ``label``, generated in the token (EC P-256) when it has none."""
        with self.lock:
            found = list(self.session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.LABEL: label}))
            if found:
                public = found[0]
            else:
                parameters = self.session.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
                public, _ = parameters.generate_keypair(
                    store=True, label=label,
                    private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False})
            key = load_der_public_key(encode_ec_public_key(public))
        assert isinstance(key, PublicKey)  # type: ignore[arg-type]
        return key  # type: ignore[return-value]

    def signer(self, label: str, certificate: asn1_x509.Certificate,
               chain: list[asn1_x509.Certificate]) -> PKCS11Signer:
        return LockedPkcs11Signer(self.lock, self.session, key_label=label, signing_cert=certificate,
                                  ca_chain=chain, other_certs_to_pull=None, use_raw_mechanism=True)

    def close(self) -> None:
        self.session.close()
