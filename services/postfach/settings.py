"""Settings of the postfach service (env prefix ``BASISDIENSTE_POSTFACH_``)."""

from typing import ClassVar

from pydantic import Field, SecretStr

from kit.settings import ServiceSettings, service_config

# The Behördenpostfächer every fresh emulator has (ARS → name), contract C1.
SEEDED_AUTHORITIES: dict[str, str] = {
    "071110000000": "Stadt Koblenz",
    "073150000000": "Stadt Mainz",
    "072110000000": "Stadt Trier",
    "071370000000": "Landkreis Mayen-Koblenz",
}


class PostfachSettings(ServiceSettings):
    model_config = service_config("postfach")
    service_name: ClassVar[str] = "postfach"

    # -- mailbox (ZBP) -------------------------------------------------------------------------------------------
    # § 9 Abs. 1 OZG (19.07.2024) counts a notice as delivered on the third day after it was made available; the
    # postal reform (PostModG) moved § 41 Abs. 2 VwVfG, §§ 122/122a AO and the VwZG to four days from 1.1.2025, and
    # the electronic provision follows the same day count in practice, so 4 is the default. Set 3 to emulate the
    # pre-2025 version.
    bekanntgabe_ozg9_days: int = Field(4, ge=1, le=30)
    # § 41 Abs. 2a VwVfG: not retrieved within this many days of the notification → not delivered.
    bekanntgabe_retrieval_window_days: int = Field(10, ge=1, le=60)
    # How often (wall-clock seconds) due Bekanntgabe steps are recorded without a read; 0 switches the sweep off.
    bekanntgabe_sweep_seconds: float = Field(1.0, ge=0)
    # Base64 of 32 bytes (AES-256-GCM) for content at rest; unset: generated once and kept in the database.
    at_rest_key: SecretStr | None = None
    max_content_bytes: int = Field(1024 * 1024, ge=1024)
    max_attachment_bytes: int = Field(15 * 1024 * 1024, ge=1024)
    max_attachments: int = Field(20, ge=0, le=200)
    authorities: dict[str, str] = Field(default_factory=lambda: dict(SEEDED_AUTHORITIES))
    # ARS → OAuth clients that may read that Behördenpostfach with a client-credentials token.
    authority_readers: dict[str, list[str]] = Field(default_factory=lambda: {"071110000000": ["demo-fachverfahren"]})
    # How long a postkorb handle → identity answer of the Nutzerkonto is trusted.
    identity_cache_seconds: float = Field(30.0, ge=0)
    # The inbox page logs citizens in as this OIDC client of the Nutzerkonto (registered there at login time
    # through its emulator controls when ``inbox_register_client`` is on).
    inbox_client_id: str = "postfach-postkorb"
    inbox_client_secret: SecretStr = SecretStr("postfach-postkorb-secret")
    inbox_register_client: bool = True
    inbox_session_minutes: int = Field(30, ge=1, le=24 * 60)
