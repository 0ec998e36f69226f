"""The one door: routes ``/<service>/...`` to each service, in-process or over HTTP, and hosts ``/_emulator``."""
