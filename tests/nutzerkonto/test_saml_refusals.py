"""The negative suite: requests the IdP must refuse. Unverifiable ones get a German error page (400) and are
never redirected anywhere; authentic ones it cannot satisfy go back to the registered ACS with a SAML status.
Nothing here may produce a 500."""

import base64
import re
import zlib
from urllib.parse import quote_plus

import httpx
import pytest
from lxml import etree
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C

from tests.nutzerkonto.saml_sp import (
    KeyPair,
    OneLoginSp,
    make_keypair,
    read_post_form,
    register,
    to_login_page,
)

REDIRECT_SSO = "/nutzerkonto/idp/profile/SAML2/Redirect/SSO"
POST_SSO = "/nutzerkonto/idp/profile/SAML2/POST/SSO"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return make_keypair("refused SP")


@pytest.fixture
async def sp(client: httpx.AsyncClient, keys: KeyPair) -> OneLoginSp:
    service = OneLoginSp((await client.get("/nutzerkonto/saml/metadata")).text, keys=keys)
    await register(client, service.metadata())
    return service


def assert_error_page(answer: httpx.Response, reason: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "location" not in answer.headers
    assert "SAMLResponse" not in answer.text
    assert "Anmeldung nicht möglich" in answer.text
    assert reason in answer.text, answer.text


def status_codes(answer: httpx.Response, acs: str) -> list[str]:
    """The SAML status an authentic but unsatisfiable request gets, at the ACS from the SP's metadata."""
    assert answer.status_code == 200, answer.text
    form = read_post_form(answer.text)
    assert form.action == acs
    document = etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
    assert document.find(f"{{{SAMLP}}}Status") is not None
    return [c.get("Value").rsplit(":", 1)[1] for c in document.iter(f"{{{SAMLP}}}StatusCode")]


async def test_an_unsigned_request_is_refused_when_the_sp_must_sign(client: httpx.AsyncClient,
                                                                    sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    assert_error_page(await client.get(sp.redirect_for(xml, sign=False)), "nicht signiert")
    assert_error_page(await client.post(POST_SSO, data=sp.post_fields_for(xml, sign=False)), "nicht signiert")


async def test_a_request_signed_with_another_key_is_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    impostor = OneLoginSp((await client.get("/nutzerkonto/saml/metadata")).text, keys=make_keypair("impostor"))
    xml, _ = impostor.request_xml()  # same entityID as the registered SP, different key
    assert_error_page(await client.get(impostor.redirect_for(xml)), "Signatur der Anfrage ist ungültig")
    assert_error_page(await client.post(POST_SSO, data=impostor.post_fields_for(xml)),
                      "Signatur der Nachricht ist ungültig")


async def test_a_request_changed_after_signing_is_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    fields = sp.post_fields_for(xml)
    signed = base64.b64decode(fields["SAMLRequest"])
    assert b'AllowCreate="true"' in signed
    fields["SAMLRequest"] = base64.b64encode(signed.replace(b'AllowCreate="true"', b'AllowCreate="false"')).decode()
    assert_error_page(await client.post(POST_SSO, data=fields), "Signatur der Nachricht ist ungültig")

    url = sp.redirect_for(xml, relay_state="original")
    assert_error_page(await client.get(url.replace("RelayState=original", "RelayState=changed")),
                      "Signatur der Anfrage ist ungültig")


async def test_sha1_signatures_are_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    assert_error_page(await client.get(sp.redirect_for(xml, sig_alg=C.RSA_SHA1)), "RSA-SHA1")
    fields = sp.post_fields_for(xml, sig_alg=C.RSA_SHA1, digest=C.SHA1)
    assert_error_page(await client.post(POST_SSO, data=fields), "RSA-SHA1")


async def test_a_replayed_request_id_is_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    url, _ = sp.redirect_url()
    await to_login_page(client, await client.get(url))
    assert_error_page(await client.get(url), "bereits verwendet")
    over_post = OneLoginSp((await client.get("/nutzerkonto/saml/metadata")).text, keys=sp.keys,
                           binding=C.BINDING_HTTP_POST)
    fields, sso_url, _ = over_post.signed_post_request()
    await to_login_page(client, await client.post(sso_url, data=fields))
    assert_error_page(await client.post(sso_url, data=fields), "bereits verwendet")


async def test_a_wrong_destination_is_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    assert 'Destination="http://127.0.0.1:8000/nutzerkonto/idp/profile/SAML2/Redirect/SSO"' in xml
    elsewhere = xml.replace("/nutzerkonto/idp/profile/SAML2/Redirect/SSO", "/other-idp/sso")
    assert_error_page(await client.get(sp.redirect_for(elsewhere)), "nicht an")
    # The Redirect endpoint's URL is the wrong destination for the POST binding, too.
    assert_error_page(await client.post(POST_SSO, data=sp.post_fields_for(xml)), "nicht an")


async def test_an_acs_url_outside_the_metadata_is_refused_without_redirect(client: httpx.AsyncClient,
                                                                          sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    evil = xml.replace("https://sp.example/saml/acs", "https://evil.example/acs")
    answer = await client.get(sp.redirect_for(evil))
    assert_error_page(answer, "steht nicht in den Metadaten")
    assert "evil.example" not in answer.text
    by_index = xml.replace('AssertionConsumerServiceURL="https://sp.example/saml/acs"',
                           'AssertionConsumerServiceIndex="7"')
    assert_error_page(await client.get(sp.redirect_for(by_index)), "AssertionConsumerServiceIndex")


async def test_an_unknown_sp_is_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    unknown = xml.replace("https://sp.example/metadata", "https://unknown.example/metadata")
    assert_error_page(await client.get(sp.redirect_for(unknown, sign=False)), "nicht registriert")


async def test_a_stale_request_is_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    await client.post("/_emulator/clock", json={"advance": "PT9M"})  # older than 5 minutes plus 3 of skew
    assert_error_page(await client.get(sp.redirect_for(xml)), "zu alt")


async def test_a_request_from_the_future_is_refused(client: httpx.AsyncClient, sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    instant = re.search(r'IssueInstant="(\d{4})', xml)
    assert instant
    future = xml.replace(f'IssueInstant="{instant.group(1)}', f'IssueInstant="{int(instant.group(1)) + 1}')
    assert_error_page(await client.get(sp.redirect_for(future)), "in der Zukunft")


async def test_unsatisfiable_requests_get_a_saml_status_at_the_registered_acs(client: httpx.AsyncClient,
                                                                             sp: OneLoginSp) -> None:
    xml, _ = sp.request_xml()
    persistent = xml.replace(f'Format="{"urn:oasis:names:tc:SAML:2.0:nameid-format:transient"}"',
                             'Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"')
    assert status_codes(await client.get(sp.redirect_for(persistent)), sp.acs) == ["Requester",
                                                                                   "InvalidNameIDPolicy"]
    xml, _ = sp.request_xml()
    password = xml.replace("STORK-QAA-Level-1", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
    assert status_codes(await client.get(sp.redirect_for(password)), sp.acs) == ["Requester", "NoAuthnContext"]
    xml, _ = sp.request_xml()
    passive = xml.replace('Version="2.0"', 'Version="2.0" IsPassive="true"', 1)
    assert status_codes(await client.get(sp.redirect_for(passive)), sp.acs) == ["Responder", "NoPassive"]
    xml, _ = sp.request_xml()
    better = xml.replace("STORK-QAA-Level-1", "STORK-QAA-Level-4").replace('"minimum"', '"better"')
    assert status_codes(await client.get(sp.redirect_for(better)), sp.acs) == ["Requester", "NoAuthnContext"]


def deflated(xml: bytes) -> str:
    compressor = zlib.compressobj(wbits=-15)
    return quote_plus(base64.b64encode(compressor.compress(xml) + compressor.flush()).decode())


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&lol2;</samlp:AuthnRequest>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0" '
       b'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
       b'&x;</saml:Issuer></samlp:AuthnRequest>')
WRONG_NAMESPACE = (b'<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" ID="_a" Version="2.0"'
                   b' IssueInstant="2026-01-01T00:00:00Z"/>')
WRONG_ROOT = (b'<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0"'
              b' IssueInstant="2026-01-01T00:00:00Z"/>')
MALFORMED: list[tuple[str, str]] = [
    ("SAMLRequest=" + deflated(BILLION_LAUGHS), "DOCTYPE"),
    ("SAMLRequest=" + deflated(XXE), "DOCTYPE"),
    ("SAMLRequest=" + deflated(WRONG_NAMESPACE), "kein samlp:AuthnRequest"),
    ("SAMLRequest=" + deflated(WRONG_ROOT), "kein samlp:AuthnRequest"),
    ("SAMLRequest=" + deflated(b"<not-closed>"), "wohlgeformtes XML"),
    ("SAMLRequest=" + deflated(b"\x00\xff binary"), "wohlgeformtes XML"),
    ("SAMLRequest=%%%not-base64%%%", "Base64"),
    ("SAMLRequest=" + quote_plus(base64.b64encode(b"not deflated at all").decode()), "DEFLATE"),
    ("SAMLRequest=" + quote_plus(base64.b64encode(zlib.compress(b"<a/>")).decode()), "DEFLATE"),
    ("SAMLRequest=" + deflated(b"<a/>" * 100_000), "zu groß"),
    ("SAMLRequest=" + deflated(b"<a/>") + "&SAMLRequest=" + deflated(b"<b/>"), "mehrfach"),
    ("RelayState=x", "SAMLRequest fehlt"),
    ("", "SAMLRequest fehlt"),
]


@pytest.mark.parametrize(("query", "reason"), MALFORMED)
async def test_malformed_redirect_requests_get_the_error_page(client: httpx.AsyncClient, query: str,
                                                              reason: str) -> None:
    assert_error_page(await client.get(f"{REDIRECT_SSO}?{query}"), reason)


@pytest.mark.parametrize(("body", "reason"), [
    ({"SAMLRequest": base64.b64encode(BILLION_LAUGHS).decode()}, "DOCTYPE"),
    ({"SAMLRequest": base64.b64encode(XXE).decode()}, "DOCTYPE"),
    ({"SAMLRequest": base64.b64encode(WRONG_NAMESPACE).decode()}, "kein samlp:AuthnRequest"),
    ({"SAMLRequest": "@@@"}, "Base64"),
    ({"SAMLRequest": base64.b64encode(b"<x").decode()}, "wohlgeformtes XML"),
    ({"SAMLRequest": base64.b64encode(XXE).decode(), "RelayState": "r" * 3000}, "RelayState ist zu lang"),
    ({}, "SAMLRequest fehlt"),
])
async def test_malformed_post_requests_get_the_error_page(client: httpx.AsyncClient, body: dict[str, str],
                                                          reason: str) -> None:
    assert_error_page(await client.post(POST_SSO, data=body), reason)


async def test_a_post_body_that_is_no_form_gets_the_error_page(client: httpx.AsyncClient) -> None:
    answer = await client.post(POST_SSO, content=b"\x00garbage",
                               headers={"content-type": "multipart/form-data; boundary=x"})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
