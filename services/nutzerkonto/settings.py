"""Settings of the nutzerkonto service (env prefix ``BASISDIENSTE_NUTZERKONTO_``)."""

from typing import ClassVar

from kit.settings import ServiceSettings, service_config


class NutzerkontoSettings(ServiceSettings):
    model_config = service_config("nutzerkonto")
    service_name: ClassVar[str] = "nutzerkonto"

    # BSI TR-02102-1 asks for at least 3000-bit RSA; tests may use 2048 to start faster.
    signing_key_bits: int = 3072
    # The SAML IdP's entityID; default: <public URL>/idp (BundID: https://id.bund.de/idp).
    saml_entity_id: str | None = None
    # A pending login (the page between request and answer) expires after this long.
    login_ttl_seconds: int = 900

    @property
    def issuer(self) -> str:
        """The OIDC issuer: the service's public URL, so discovery is at <issuer>/.well-known/openid-configuration."""
        return self.external_url

    @property
    def entity_id(self) -> str:
        return self.saml_entity_id or f"{self.external_url}/idp"
