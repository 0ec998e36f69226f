"""Settings of the nutzerkonto service (env prefix ``BASISDIENSTE_NUTZERKONTO_``)."""

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from kit.settings import ServiceSettings, service_config


class NutzerkontoSettings(ServiceSettings):
    model_config = service_config("nutzerkonto")
    service_name: ClassVar[str] = "nutzerkonto"

    # BSI TR-02102-1 asks for at least 3000-bit RSA; tests may use 2048 to start faster.
    signing_key_bits: int = 3072
    # The SAML IdP's entityID; default: <public URL>/idp (BundID: https://id.bund.de/idp).
    saml_entity_id: str | None = None
    # SAML SPs registered at startup and after every reset: paths of SP metadata files (a JSON list in
    # BASISDIENSTE_NUTZERKONTO_SAML_SERVICE_PROVIDER_METADATA); each replaces a registration of its entityID.
    saml_service_provider_metadata: list[Path] = Field(default_factory=list)
    # A pending login (the page between request and answer) expires after this long.
    login_ttl_seconds: int = 900
    # OIDC/OAuth 2 lifetimes (seconds): short codes and access tokens (RFC 9700 §2.1.1, §4.14), rotated refresh.
    access_token_ttl_seconds: int = Field(300, ge=1)
    id_token_ttl_seconds: int = Field(300, ge=1)
    refresh_token_ttl_seconds: int = Field(8 * 3600, ge=1)
    authorization_code_ttl_seconds: int = Field(60, ge=1)
    # Failed client authentications per client_id within a minute before the token endpoint answers 429.
    client_auth_failures_per_minute: int = Field(10, ge=1)
    # OAuth clients registered at startup (JSON list in BASISDIENSTE_NUTZERKONTO_CLIENTS), same fields as
    # POST /_emulator/clients; they replace seeded clients of the same client_id.
    clients: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def issuer(self) -> str:
        """The OIDC issuer: the service's public URL, so discovery is at <issuer>/.well-known/openid-configuration."""
        return self.external_url

    @property
    def entity_id(self) -> str:
        return self.saml_entity_id or f"{self.external_url}/idp"
