"""Settings of the bezahlplattform service (env prefix ``BASISDIENSTE_BEZAHLPLATTFORM_``)."""

from typing import ClassVar

from kit.settings import ServiceSettings, service_config


class BezahlplattformSettings(ServiceSettings):
    model_config = service_config("bezahlplattform")
    service_name: ClassVar[str] = "bezahlplattform"
