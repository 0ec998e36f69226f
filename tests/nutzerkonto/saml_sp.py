"""Real SAML service providers for the IdP's tests: python3-saml (OneLogin) and pysaml2, each with its own keys
generated here, registered at the IdP by uploading the metadata the library itself writes. A small "browser"
follows the IdP's redirects, submits the login page and reads the self-submitting answer form.
"""

import base64
import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

IDP_PREFIX = "/nutzerkonto"
REGISTER = "/_emulator/nutzerkonto/service-providers"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
OID = {"givenName": "urn:oid:2.5.4.42", "surname": "urn:oid:2.5.4.4", "birthdate": "urn:oid:1.2.40.0.10.2.1.1.55",
       "mail": "urn:oid:0.9.2342.19200300.100.1.3", "bPK2": "urn:oid:1.3.6.1.4.1.25484.494450.3",
       "postkorb": "urn:oid:2.5.4.18", "qaa": "urn:oid:1.2.40.0.10.2.1.1.261.94",
       "provedBy": "urn:oid:1.3.6.1.4.1.25484.494450.2", "country": "urn:oid:1.2.40.0.10.2.1.1.225599"}


@dataclass(frozen=True)
class KeyPair:
    key_pem: str
    cert_pem: str

    @property
    def cert_base64(self) -> str:
        return "".join(self.cert_pem.splitlines()[1:-1])

    def files(self, directory: Path) -> tuple[str, str]:
        key, cert = directory / "sp.key", directory / "sp.crt"
        key.write_text(self.key_pem)
        cert.write_text(self.cert_pem)
        return str(key), str(cert)


def make_keypair(common_name: str) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    return KeyPair(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()).decode(),
        cert.public_bytes(serialization.Encoding.PEM).decode())


def akdb_extension(attributes: list[tuple[str, bool]], *, display_name: str = "Stadt Koblenz",
                   online_service_id: str = "RLP-4711", methods: dict[str, bool] | None = None) -> str:
    wanted = "".join(f'<akdb:RequestedAttribute Name="{oid}" RequiredAttribute="{str(req).lower()}"/>'
                     for oid, req in attributes)
    allowed = "".join(f"<akdb:{name}><akdb:Enabled>{str(on).lower()}</akdb:Enabled></akdb:{name}>"
                      for name, on in (methods or {}).items())
    return (
        '<samlp:Extensions><akdb:AuthenticationRequest xmlns:akdb="https://www.akdb.de/request/2018/09" Version="2">'
        + (f"<akdb:AuthnMethods>{allowed}</akdb:AuthnMethods>" if methods else "")
        + f"<akdb:RequestedAttributes>{wanted}</akdb:RequestedAttributes><akdb:DisplayInformation>"
        '<classic-ui:Version xmlns:classic-ui="https://www.akdb.de/request/2018/09/classic-ui/v1">'
        f"<classic-ui:OrganizationDisplayName>{display_name}</classic-ui:OrganizationDisplayName>"
        f"<classic-ui:OnlineServiceId>{online_service_id}</classic-ui:OnlineServiceId>"
        "</classic-ui:Version></akdb:DisplayInformation></akdb:AuthenticationRequest></samlp:Extensions>")


# --- the browser -------------------------------------------------------------------------------------------------

@dataclass
class PostForm:
    action: str
    fields: dict[str, str]


def read_post_form(page: str) -> PostForm:
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert action, page
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    return PostForm(html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()})


async def to_login_page(client: httpx.AsyncClient, answer: httpx.Response) -> str:
    """The IdP's answer to an AuthnRequest must be a 303 to the login page under the gateway's prefix."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{IDP_PREFIX}/login/"), location
    page = await client.get(location)
    assert page.status_code == 200, page.text
    return location


async def log_in(client: httpx.AsyncClient, login_path: str, *, identity: str = "erika-mustermann",
                 method: str = "eID", action: str = "login") -> httpx.Response:
    return await client.post(login_path, data={"identity": identity, "method": method, "action": action})


async def register(client: httpx.AsyncClient, metadata: str | bytes, **params: Any) -> dict[str, Any]:
    answer = await client.post(REGISTER, content=metadata, params=params,
                               headers={"content-type": "application/samlmetadata+xml"})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


# --- python3-saml ------------------------------------------------------------------------------------------------

class OneLoginSp:
    """python3-saml in strict mode, with signed requests and every check switched on."""

    def __init__(self, idp_metadata: str, *, keys: KeyPair, entity_id: str = "https://sp.example/metadata",
                 acs: str = "https://sp.example/saml/acs", levels: list[str] | None = None,
                 comparison: str = "minimum", encrypted: bool = True, binding: str = C.BINDING_HTTP_REDIRECT,
                 extension: str | None = None) -> None:
        idp = OneLogin_Saml2_IdPMetadataParser.parse(idp_metadata, required_sso_binding=binding)
        self.acs = acs
        self.extension = extension
        self.settings: dict[str, Any] = {
            "strict": True, "debug": True,
            "sp": {"entityId": entity_id, "NameIDFormat": TRANSIENT, "x509cert": keys.cert_base64,
                   "privateKey": keys.key_pem,
                   "assertionConsumerService": {"url": acs, "binding": C.BINDING_HTTP_POST}},
            "idp": idp["idp"],
            "security": {
                "authnRequestsSigned": True, "wantMessagesSigned": True, "wantAssertionsSigned": True,
                "wantAssertionsEncrypted": encrypted, "wantNameId": True, "wantAttributeStatement": True,
                "requestedAuthnContext": levels if levels is not None else ["STORK-QAA-Level-1"],
                "requestedAuthnContextComparison": comparison, "rejectDeprecatedAlgorithm": True,
                "signatureAlgorithm": C.RSA_SHA256, "digestAlgorithm": C.SHA256,
            },
        }
        self.keys = keys

    def metadata(self) -> str:
        return OneLogin_Saml2_Settings(self.settings, sp_validation_only=True).get_sp_metadata().decode()

    def _auth(self, post_data: dict[str, str] | None = None) -> OneLogin_Saml2_Auth:
        url = httpx.URL(self.acs)
        host = url.host + (f":{url.port}" if url.port else "")
        auth = OneLogin_Saml2_Auth({"https": "on" if url.scheme == "https" else "off", "http_host": host,
                                    "script_name": url.path, "get_data": {}, "post_data": post_data or {}},
                                   self.settings)
        extension = self.extension
        if extension:
            class WithExtension(OneLogin_Saml2_Authn_Request):
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    super().__init__(*args, **kwargs)
                    self._authn_request = self._authn_request.replace("</saml:Issuer>", "</saml:Issuer>" + extension)

            auth.authn_request_class = WithExtension
        return auth

    def redirect_url(self, relay_state: str = "https://sp.example/after") -> tuple[str, str]:
        """(IdP URL with SAMLRequest, RelayState, SigAlg, Signature; the request ID)."""
        auth = self._auth()
        url = auth.login(return_to=relay_state)
        return url, auth.get_last_request_id()

    def signed_post_request(self) -> tuple[dict[str, str], str, str]:
        """(form fields for the HTTP-POST binding with an enveloped signature, the SSO URL, the request ID)."""
        auth = self._auth()
        request = auth.authn_request_class(auth.get_settings())
        xml = OneLogin_Saml2_Utils.add_sign(request.get_xml(), self.keys.key_pem, self.keys.cert_pem,
                                            sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256)
        fields = {"SAMLRequest": base64.b64encode(xml).decode(), "RelayState": "post-state"}
        return fields, self.settings["idp"]["singleSignOnService"]["url"], request.get_id()

    def request_xml(self) -> tuple[str, str]:
        """(an AuthnRequest as this SP builds it, unsigned; its ID): raw material for crafted requests."""
        auth = self._auth()
        request = auth.authn_request_class(auth.get_settings())
        return request.get_xml(), request.get_id()

    def redirect_for(self, xml: str, *, relay_state: str | None = "crafted", sign: bool = True,
                     sig_alg: str = C.RSA_SHA256) -> str:
        """The IdP's Redirect SSO URL carrying ``xml`` (deflated), signed over the query as the binding says."""
        params: dict[str, str] = {"SAMLRequest": OneLogin_Saml2_Utils.deflate_and_base64_encode(xml)}
        if relay_state is not None:
            params["RelayState"] = relay_state
        if sign:
            self._auth().add_request_signature(params, sig_alg)  # adds SigAlg and Signature
        url = self.settings["idp"]["singleSignOnService"]["url"]
        return url + "?" + urlencode(params)

    def post_fields_for(self, xml: str, *, sign: bool = True, sig_alg: str = C.RSA_SHA256,
                        digest: str = C.SHA256) -> dict[str, str]:
        if sign:
            xml = OneLogin_Saml2_Utils.add_sign(xml, self.keys.key_pem, self.keys.cert_pem, sign_algorithm=sig_alg,
                                                digest_algorithm=digest).decode()
        return {"SAMLRequest": base64.b64encode(xml.encode()).decode(), "RelayState": "crafted"}

    def consume(self, form: PostForm, request_id: str) -> OneLogin_Saml2_Auth:
        assert form.action == self.acs
        auth = self._auth(form.fields)
        auth.process_response(request_id=request_id)
        return auth


# --- pysaml2 -----------------------------------------------------------------------------------------------------

class Pysaml2Sp:
    """pysaml2 as an SP: signs its requests (RSA-SHA256), wants signed responses and assertions, decrypts with
    the xmlsec1 binary."""

    def __init__(self, idp_metadata: str, *, keys: KeyPair, directory: Path,
                 entity_id: str = "https://sp2.example/metadata", acs: str = "https://sp2.example/acs") -> None:
        key_file, cert_file = keys.files(directory)
        self.acs = acs
        config = SPConfig()
        config.load({
            "entityid": entity_id, "key_file": key_file, "cert_file": cert_file,
            "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
            "xmlsec_binary": "/usr/bin/xmlsec1", "metadata": {"inline": [idp_metadata]},
            "signing_algorithm": SIG_RSA_SHA256, "digest_algorithm": DIGEST_SHA256,
            "service": {"sp": {
                "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                "authn_requests_signed": True, "want_response_signed": True, "want_assertions_signed": True,
                "allow_unsolicited": False, "name_id_format": TRANSIENT,
            }},
        })
        self.config = config
        self.client = Saml2Client(config)
        self.idp_entity_id = next(iter(self.client.metadata.identity_providers()))

    def metadata(self) -> str:
        return str(entity_descriptor(self.config))

    def request(self, binding: str, level: str = "STORK-QAA-Level-3") -> tuple[str, dict[str, Any]]:
        context = RequestedAuthnContext(authn_context_class_ref=[AuthnContextClassRef(text=level)],
                                        comparison="minimum")
        request_id, info = self.client.prepare_for_authenticate(
            entityid=self.idp_entity_id, relay_state="pysaml2-state", binding=binding, sign=True,
            sigalg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256, requested_authn_context=context)
        return request_id, info

    async def send(self, client: httpx.AsyncClient, binding: str, level: str = "STORK-QAA-Level-3"
                   ) -> tuple[httpx.Response, str]:
        request_id, info = self.request(binding, level)
        if binding == BINDING_HTTP_REDIRECT:
            return await client.get(dict(info["headers"])["Location"]), request_id
        form = read_post_form(info["data"])
        return await client.post(form.action, data=form.fields), request_id

    def consume(self, form: PostForm, request_id: str) -> Any:
        assert form.action == self.acs
        return self.client.parse_authn_request_response(form.fields["SAMLResponse"], BINDING_HTTP_POST,
                                                        outstanding={request_id: "/"})
