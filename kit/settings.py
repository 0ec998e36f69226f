"""Settings shared by the whole suite (env prefix ``BASISDIENSTE_``) and the base for each service's own."""

import os
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES: tuple[str, ...] = ("nutzerkonto", "postfach", "bezahlplattform", "bescheid", "rechnungseingang")


class SuiteSettings(BaseSettings):
    """What every service and the gateway share; one environment configures the whole suite."""

    model_config = SettingsConfigDict(env_prefix="BASISDIENSTE_", extra="ignore")

    data_dir: Path = Path(".basisdienste")
    # A PostgreSQL URL puts every service in its own schema of that database; unset means SQLite files.
    database_url: str | None = None
    emulator_controls: bool = True
    # With a token set, callers from other hosts may use the controls by presenting it.
    control_token: SecretStr | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    log_level: str = "INFO"
    log_format: str = "json"
    # Where the gateway is reached from outside; services build their public URLs under it.
    public_base_url: str = "http://127.0.0.1:8000"

    # Base URLs of services that run as their own processes (compose); a service not named here is in-process.
    # Read from BASISDIENSTE_<SERVICE>_URL, the variables compose sets for every container.
    service_urls: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _service_urls_from_environment(self) -> "SuiteSettings":
        for name in SERVICE_NAMES:
            url = os.environ.get(f"BASISDIENSTE_{name.upper()}_URL")
            if url and name not in self.service_urls:
                self.service_urls[name] = url.rstrip("/")
        return self


def service_config(name: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=f"BASISDIENSTE_{name.upper()}_", extra="ignore")


class ServiceSettings(BaseSettings):
    """Base of a service's settings: env prefix ``BASISDIENSTE_<SERVICE>_`` plus the suite's shared ones."""

    service_name: ClassVar[str]

    # Overrides the suite's choice of database for this one service (any SQLAlchemy async URL).
    database_url: str | None = None
    public_url: str | None = None
    migrate_on_startup: bool = True
    # Off when the service runs behind the in-process gateway, which already logs each request once.
    access_log: bool = True
    suite: SuiteSettings = Field(default_factory=SuiteSettings)

    @property
    def name(self) -> str:
        return self.service_name

    @property
    def external_url(self) -> str:
        return self.public_url or f"{self.suite.public_base_url.rstrip('/')}/{self.name}"
