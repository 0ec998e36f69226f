"""Settings of the bescheid service (env prefix ``BASISDIENSTE_BESCHEID_``)."""

from typing import ClassVar

from kit.settings import ServiceSettings, service_config


class BescheidSettings(ServiceSettings):
    model_config = service_config("bescheid")
    service_name: ClassVar[str] = "bescheid"
