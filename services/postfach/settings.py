"""Settings of the postfach service (env prefix ``BASISDIENSTE_POSTFACH_``)."""

from typing import ClassVar

from kit.settings import ServiceSettings, service_config


class PostfachSettings(ServiceSettings):
    model_config = service_config("postfach")
    service_name: ClassVar[str] = "postfach"
