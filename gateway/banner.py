"""The start-up banner of ``basisdienste up``: where everything is and the seeded credentials a newcomer needs first
(logins, clients, originators, destinations, Leitweg-IDs), read from ``GET /_emulator/seed``.

Every http URL printed here answers a GET below 400, or a POST other than 404/405 where the line says ``POST``
(tests/test_cli_banner.py checks it), so nothing a newcomer copies leads nowhere.
"""

from collections.abc import Callable
from typing import Any

from kit.settings import SERVICE_NAMES

Seed = dict[str, Any]


def banner_lines(base: str, health: dict[str, Any], seed: Seed, ready_seconds: float) -> list[str]:
    lines = [f"Basisdienste is up in {ready_seconds:.2f} s (test mode: no real credentials).",
             f"  gateway           {base}/",
             f"  docs              {base}/docs",
             f"  health            {base}/health",
             f"  seed              {base}/_emulator/seed   (all seeded test data as JSON)"]
    for name in SERVICE_NAMES:
        status = health.get("services", {}).get(name, {}).get("status", "?")
        lines.append(f"  {name:<17} {base}/{name}/docs  [{status}]")
    for name in SERVICE_NAMES:
        part = seed.get(name)
        if not isinstance(part, dict) or not part:
            continue
        formatter = _FORMATTERS.get(name)
        try:
            body = formatter(part, base) if formatter else generic_lines(part)
        except (KeyError, TypeError, AttributeError, ValueError):
            # A seed of another shape (a newer service version) still shows its credentials, if less neatly.
            body = generic_lines(part)
        if body:
            lines.append(f"{name.capitalize()}:")
            lines.extend(f"  {line}" for line in body)
    lines.append("Controls: basisdienste reset | clock | faults | seed | mails | outbox (see basisdienste --help).")
    return lines


def _nutzerkonto(seed: Seed, base: str) -> list[str]:
    issuer = seed["issuer"]
    lines = [f"OIDC discovery    {issuer}/.well-known/openid-configuration",
             f"SAML IdP metadata {issuer}/saml/metadata",
             f"tokens            POST {issuer}/token"]
    for identity in seed.get("identities", []):
        methods = ", ".join(identity.get("methods", []))
        lines.append(f"login {identity['username']} / {identity['password']}  {identity.get('display_name', '')}"
                     f" [{identity['id']}; {methods}]")
    service_clients = []
    for client in seed.get("clients", []):
        if client["client_id"] in SERVICE_NAMES:
            service_clients.append(client["client_id"])
            continue
        grants = ", ".join(client.get("grant_types", []))
        if client.get("client_secret"):
            lines.append(f"client {client['client_id']} / {client['client_secret']}  ({grants})")
        else:
            lines.append(f"client {client['client_id']}  (public, PKCE S256; {grants})")
    if service_clients:
        lines.append(f"service clients {', '.join(service_clients)} (secret: <client_id>-secret)")
    return lines


def _postfach(seed: Seed, base: str) -> list[str]:
    mailbox, fitconnect = seed.get("mailbox", {}), seed.get("fitconnect", {})
    lines = []
    if mailbox.get("inbox"):
        lines.append(f"Postkorb (citizens' inbox page) {mailbox['inbox']}")
    for office in mailbox.get("behoerdenpostfaecher", []):
        lines.append(f"Behördenpostfach {office['mailboxUuid']}  {office['name']} (ARS {office['ars']})")
    if fitconnect.get("token_url"):
        lines.append(f"FIT-Connect token POST {fitconnect['token_url']}")
    clients = fitconnect.get("clients", [])
    for client in clients:
        if client.get("role") == "sender":
            lines.append(f"FIT-Connect sender {client['client_id']} / {client['client_secret']}")
    for destination in fitconnect.get("destinations", []):
        lines.append(f"destination {destination['destinationId']}  {destination['name']} (ARS {destination['ars']})")
        lines.extend(f"  subscriber {c['client_id']} / {c['client_secret']}" for c in clients
                     if destination["destinationId"] in c.get("destinations", []))
    for client in clients:
        if client.get("role") == "subscriber" and not client.get("destinations"):
            lines.append(f"no destination: subscriber {client['client_id']} / {client['client_secret']}")
    return lines


def _bezahlplattform(seed: Seed, base: str) -> list[str]:
    lines = []
    for originator in seed.get("originators", []):
        basic = originator.get("basic") or {}
        for endpoint in originator.get("endpoints", []):
            if not lines:
                lines.append(f"create a payment POST {base}/bezahlplattform/paymenttransaction/"
                             f"{originator['originatorId']}/{endpoint['endpointId']}")
            lines.append(f"originator/endpoint {originator['originatorId']}/{endpoint['endpointId']}"
                         f"  {endpoint.get('serviceName', '')}, {endpoint.get('name', '')}")
            if basic:
                lines.append(f"  HTTP Basic {basic['username']} / {basic['password']}")
    oauth = seed.get("oauth") or {}
    if oauth.get("clients"):
        lines.append(f"or a Nutzerkonto token (audience {oauth.get('audience')}) of {', '.join(oauth['clients'])}")
    cards = seed.get("test_cards") or {}
    paying = [number for number, outcome in cards.items() if outcome == "success"]
    if paying:
        lines.append(f"test card {paying[0]} pays; {seed.get('threeds_note', '')}; declines: see the seed")
    return lines


def _bescheid(seed: Seed, base: str) -> list[str]:
    templates = seed.get("templates", [])
    lines = [f"create a notice POST {base}/bescheid/api/v1/bescheide (a Nutzerkonto token, audience bescheid)"]
    for authority in seed.get("authorities", []):
        own = [t for t in templates if t.startswith(f"{authority['id']}/")]
        lines.append(f"authority {authority['id']}  {authority['name']} (ARS {authority['ars']}, PAdES "
                     f"{authority.get('padesLevel', '?')})")
        lines.extend(f"  template {template}" for template in own)
    if (seed.get("pki") or {}).get("root"):
        lines.append(f"test PKI root {seed['pki']['root']}")
    return lines


def _rechnungseingang(seed: Seed, base: str) -> list[str]:
    lines = [f"send an invoice POST {base}/rechnungseingang/api/v1/invoices (a supplier's Nutzerkonto token)"]
    for authority in seed.get("authorities", []):
        reader = f"; read by client {authority['client_id']}" if authority.get("client_id") else ""
        for leitweg_id in authority.get("leitweg_ids", []):
            lines.append(f"Leitweg-ID {leitweg_id}  {authority['name']} (ARS {authority['ars']}){reader}")
    if seed.get("supplier_login"):
        lines.append(f"supplier login {seed['supplier_login']}")
    if seed.get("upload_page"):
        lines.append(f"upload page {seed['upload_page']}")
    senders = [s["address"] for s in seed.get("mail_senders", [])]
    if senders:
        lines.append(f"e-mail intake accepts senders {', '.join(senders)}")
    return lines


_FORMATTERS: dict[str, Callable[[Seed, str], list[str]]] = {
    "nutzerkonto": _nutzerkonto, "postfach": _postfach, "bezahlplattform": _bezahlplattform,
    "bescheid": _bescheid, "rechnungseingang": _rechnungseingang}

# The fields of a seeded item that a developer needs to log in or authenticate with it.
_CREDENTIAL_FIELDS = ("id", "client_id", "entity_id", "username", "password", "client_secret")


def generic_lines(seed: Seed, prefix: str = "") -> list[str]:
    """For a service without a formatter of its own: one line per seeded value or item, credentials only. A service
    made of parts nests one seed per part; plain lookup tables are left to the seed."""
    lines = []
    for key, value in seed.items():
        name = f"{prefix}{key}"
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            lines.append(f"{name}: {value}")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    fields = [str(item[f]) for f in _CREDENTIAL_FIELDS if item.get(f)]
                    if fields:
                        lines.append(f"{name}: " + " / ".join(fields))
        elif isinstance(value, dict) and any(isinstance(v, list | dict) for v in value.values()):
            lines.extend(generic_lines(value, f"{name}."))
    return lines
