"""What the mailbox tests share: an authority that sends through kit.zbp (as Bescheid and Rechnungseingang do),
citizens logged in through the Nutzerkonto's real OIDC code flow (scope bundid, resource postfach), and an
independent envelope builder (cryptography + joserfc, not kit.zbp) for checking what the service accepts."""

import base64
import datetime as dt
import json
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from gateway.app import Gateway
from kit.clock import Clock
from kit.identity import ServiceCredentials
from kit.zbp import ZbpAuthor, send_message
from tests.nutzerkonto.oidc_tools import SPA, SPA_CALLBACK, authorize_url, login, pkce_pair, query

_POSTKORB_NAMESPACE = uuid.UUID("6f1c8f4e-2b7a-5e3d-9a41-0c2d6b8e7f10")
ERIKA = str(uuid.uuid5(_POSTKORB_NAMESPACE, "erika-mustermann"))
MAX = str(uuid.uuid5(_POSTKORB_NAMESPACE, "max-mustermann"))
MUSTERBAU = str(uuid.uuid5(_POSTKORB_NAMESPACE, "musterbau-gmbh"))
KOBLENZ = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:basisdienste:behoerdenpostfach:071110000000"))
MAINZ = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:basisdienste:behoerdenpostfach:073150000000"))
METHOD_FOR_LEVEL = {1: "Benutzername", 3: "Elster", 4: "eID"}

_AUTHOR: ZbpAuthor | None = None


def author() -> ZbpAuthor:
    global _AUTHOR
    if _AUTHOR is None:
        _AUTHOR = ZbpAuthor.generate("Stadt Koblenz, Bürgeramt")
    return _AUTHOR


def postfach_now(suite: Gateway) -> dt.datetime:
    return suite.upstreams["postfach"].app.state.runtime.clock.now()  # type: ignore[attr-defined,no-any-return]


def credentials(suite: Gateway, client_id: str = "bescheid") -> ServiceCredentials:
    return ServiceCredentials(suite.peers, Clock(), client_id, f"{client_id}-secret")


def fields(mailbox: str = ERIKA, **overrides: Any) -> dict[str, Any]:
    return {"mailboxUuid": mailbox, "stork_qaa_level": 1, "sender": "Stadt Koblenz", "title": "Ihr Bescheid",
            "content": "Sehr geehrte Frau Mustermann, anbei Ihr Bescheid.", "service": "Hundesteuer", **overrides}


async def deliver(suite: Gateway, mailbox: str = ERIKA, *, attachments: list[tuple[str, bytes, str]] | None = None,
                  rule: str | None = None, client_id: str = "bescheid", **overrides: Any) -> httpx.Response:
    return await send_message(credentials(suite, client_id), author(), fields(mailbox, **overrides),
                              attachments or [], now=postfach_now(suite), bekanntgabe_rule=rule)


async def delivered(suite: Gateway, mailbox: str = ERIKA, **options: Any) -> dict[str, Any]:
    answer = await deliver(suite, mailbox, **options)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def citizen_token(client: httpx.AsyncClient, identity: str = "erika-mustermann", level: int = 4) -> str:
    """An access token for the Postfach from a real login (code flow with PKCE, scope bundid)."""
    verifier, challenge = pkce_pair()
    url = authorize_url(SPA, redirect_uri=SPA_CALLBACK, scope="openid bundid", challenge=challenge,
                        resource="postfach", acr_values=f"STORK-QAA-Level-{level}")
    back = await login(client, url, identity=identity, method=METHOD_FOR_LEVEL[level])
    answer = await client.post("/nutzerkonto/token", data={
        "grant_type": "authorization_code", "code": query(back)["code"], "redirect_uri": SPA_CALLBACK,
        "client_id": SPA, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]  # type: ignore[no-any-return]


async def service_token(client: httpx.AsyncClient, client_id: str = "demo-fachverfahren") -> str:
    answer = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials", "resource": "postfach"},
                               auth=(client_id, f"{client_id}-secret"))
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]  # type: ignore[no-any-return]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class IndependentAuthor:
    """Builds ZBP envelopes with cryptography and joserfc only, to check the service against the reference and
    not against kit.zbp."""

    def __init__(self, common_name: str = "Landkreis Mayen-Koblenz") -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        from cryptography import x509
        from cryptography.x509.oid import NameOID

        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        self.common_name = common_name
        self.certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                            .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                            .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
                            .not_valid_after(dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
                            .sign(self.key, hashes.SHA256()))
        pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        self.jwk = RSAKey.import_key(pem)

    def envelope(self, content: str, *, now: dt.datetime, lifetime: int = 1800, signer: str | None = None,
                 roles: list[str] | None = None, sign_content: str | None = None) -> dict[str, str]:
        signature = self.key.sign((sign_content or content).encode(), padding.PKCS1v15(), hashes.SHA512())
        iat = int(now.timestamp())
        token = jose_jwt.encode({"alg": "RS512"}, {"iat": iat, "exp": iat + lifetime,
                                                   "signer": signer or self.common_name,
                                                   "roles": roles or ["THIRD_PARTY"]}, self.jwk, algorithms=["RS512"])
        return {"content": content, "sha512sum": base64.b64encode(signature).decode(), "authorToken": token,
                "authorCertificate": self.certificate.public_bytes(serialization.Encoding.PEM).decode()}


def multipart(envelope: dict[str, str], files: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
              rule: str | None = None) -> list[tuple[str, Any]]:
    parts: list[tuple[str, Any]] = [("message", (None, json.dumps(envelope), "application/json"))]
    parts += [("attachments", f) for f in files]
    if rule:
        parts.append(("bekanntgabeRule", (None, rule)))
    return parts
