"""Settings of the FIT-Connect part of the postfach service (env prefix ``BASISDIENSTE_POSTFACH_FITCONNECT_``).

Kept in the part's own class so that the mailbox part and this one never edit the same settings file.
"""

from pydantic_settings import BaseSettings, SettingsConfigDict


class FitConnectSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BASISDIENSTE_POSTFACH_FITCONNECT_", extra="ignore")

    # FIT-Connect demands RSA-4096 for destination keys (the fitconnect SDK refuses shorter ones); tests may
    # choose 2048, which generates in a fifth of the time.
    key_bits: int = 4096
    token_lifetime_seconds: int = 1800
    # A subscriber's SET whose iat is older than this (or this far in the future) is refused as stale.
    set_max_age_seconds: int = 600
    notify_after_days: int = 3
    auto_reject_after_days: int = 14
    # Wall-clock seconds between background sweeps of the timers (they also run when submissions are read).
    sweep_interval_seconds: float = 5.0
    # Routing API: requests per client address and window.
    routing_rate_limit: int = 120
    routing_rate_window_seconds: int = 60
    max_announced_attachments: int = 100
