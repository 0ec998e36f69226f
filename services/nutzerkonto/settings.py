"""Settings of the nutzerkonto service (env prefix ``BASISDIENSTE_NUTZERKONTO_``)."""

from typing import ClassVar

from kit.settings import ServiceSettings, service_config


class NutzerkontoSettings(ServiceSettings):
    model_config = service_config("nutzerkonto")
    service_name: ClassVar[str] = "nutzerkonto"
