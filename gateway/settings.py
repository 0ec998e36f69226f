"""Gateway settings (env prefix ``BASISDIENSTE_GATEWAY_``)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.settings import SuiteSettings

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BASISDIENSTE_GATEWAY_", extra="ignore")

    # Per client address; a token bucket refilled at this rate with room for a burst. 0 switches it off.
    rate_limit_per_second: float = 200.0
    rate_limit_burst: int = 400
    # With a Redis URL the buckets are shared by every gateway process; otherwise they live in memory.
    redis_url: str | None = None
    # Online forms run on other origins; local development servers are allowed by default.
    cors_origins: list[str] = Field(default_factory=list)
    cors_origin_regex: str | None = LOCAL_ORIGINS
    # Time an upstream has to start answering; a streaming answer may then take as long as it needs.
    upstream_timeout_seconds: float = 30.0
    access_log: bool = True
    suite: SuiteSettings = Field(default_factory=SuiteSettings)
