"""Settings of the rechnungseingang service (env prefix ``BASISDIENSTE_RECHNUNGSEINGANG_``)."""

from typing import ClassVar

from kit.settings import ServiceSettings, service_config


class RechnungseingangSettings(ServiceSettings):
    model_config = service_config("rechnungseingang")
    service_name: ClassVar[str] = "rechnungseingang"
