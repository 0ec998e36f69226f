"""Wires the suite together: each service in this process (embedded) or at its URL (compose), behind a gateway.

This is the only module outside ``services/`` that loads a service, and only its ``app`` module
(``create_app`` and ``settings_class``).
"""

import importlib

from fastapi import FastAPI

from gateway.app import Gateway, Upstream
from gateway.settings import GatewaySettings
from gateway.upstreams import LocalUpstream, RemoteUpstream
from kit.peers import Peers
from kit.settings import SERVICE_NAMES, SuiteSettings


def _peers(suite: SuiteSettings) -> Peers:
    token = suite.control_token.get_secret_value() if suite.control_token else None
    return Peers(suite.service_urls, control_token=token)


def service_app(name: str, suite: SuiteSettings, *, peers: Peers | None = None, **overrides: object) -> FastAPI:
    """One service's app, as ``basisdienste serve <name>`` runs it.

    Imported by name so that a container serving one service loads only that service's libraries.
    """
    if name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}")
    module = importlib.import_module(f"services.{name}.app")
    settings = module.settings_class(suite=suite, **overrides)
    return module.create_app(settings, peers=peers or _peers(suite))


def build_gateway(gateway_settings: GatewaySettings, *, embedded: bool = True) -> Gateway:
    """The gateway with every service: in this process unless ``BASISDIENSTE_<SERVICE>_URL`` names a URL.

    With ``embedded=False`` every service must have a URL (the compose gateway container).
    """
    suite = gateway_settings.suite
    peers = _peers(suite)
    upstreams: dict[str, Upstream] = {}
    timeout = gateway_settings.upstream_timeout_seconds
    for name in SERVICE_NAMES:
        if name in suite.service_urls:
            upstreams[name] = RemoteUpstream(name, suite.service_urls[name], timeout=timeout)
        elif embedded:
            # Behind the in-process gateway the gateway logs each request; the service would log it twice.
            app = service_app(name, suite, peers=peers, access_log=False)
            peers.register_app(name, app)
            upstreams[name] = LocalUpstream(name, app, timeout=timeout)
        else:
            raise SystemExit(f"the gateway needs BASISDIENSTE_{name.upper()}_URL (no services run in its process)")
    return Gateway(gateway_settings, upstreams, peers)
