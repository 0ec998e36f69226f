"""Settings of the BUS service (env prefix ``BASISDIENSTE_BUS_``)."""

from typing import ClassVar

from kit.settings import ServiceSettings, service_config


class BusSettings(ServiceSettings):
    model_config = service_config("bus")
    service_name: ClassVar[str] = "bus"
