"""Settings of the bescheid service (env prefix ``BASISDIENSTE_BESCHEID_``)."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from kit.settings import ServiceSettings, service_config


class BescheidSettings(ServiceSettings):
    model_config = service_config("bescheid")
    service_name: ClassVar[str] = "bescheid"

    # Keys of the test PKI. EC P-256 is production-grade (BSI TR-02102-1) and generates in milliseconds; "rsa"
    # uses RSA keys of ``rsa_key_bits`` for root, seals and TSA, as many real QSealC are.
    pki_key_type: Literal["ec", "rsa"] = "ec"
    rsa_key_bits: int = Field(3072, ge=2048)
    # Where the authorities' seal keys live: "memory" (the PKI table), or "pkcs11": generated in and used from a
    # PKCS#11 token (SoftHSM v2: ``softhsm2-util --init-token --free --label <label> --pin <pin> --so-pin ...``).
    seal_keys: Literal["memory", "pkcs11"] = "memory"
    pkcs11_module: Path = Path("/usr/lib/softhsm/libsofthsm2.so")
    pkcs11_token_label: str = "basisdienste-bescheid"  # noqa: S105 - a token's name, not a secret
    pkcs11_user_pin: str = "1234"  # the documented PIN of the emulator's test token
    # The client this service authenticates as towards the Postfach (seeded in the Nutzerkonto).
    client_id: str = "bescheid"
    client_secret: str = "bescheid-secret"  # noqa: S105 - the published secret of the seeded test client
    # Upper bound of the Bescheid data (JSON bytes of one create request's content fields).
    max_data_bytes: int = Field(256 * 1024, ge=1024)
    # Upper bound of a PDF handed to the verifier, and of what its streams may inflate to (PDF bombs).
    max_verify_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    max_inflated_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    max_batch_items: int = Field(1000, ge=1)
    # Rendering and sealing run in worker threads; this many at once (the event loop stays responsive).
    workers: int = Field(2, ge=1)
