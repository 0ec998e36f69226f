"""Logins at every trust level as python3-saml (strict mode, signed requests, signed and encrypted assertions)
sees them: what a real SP accepts, and what it refuses."""

import base64

import httpx
import pytest
from lxml import etree

from tests.nutzerkonto.saml_sp import (
    OID,
    TRANSIENT,
    KeyPair,
    OneLoginSp,
    akdb_extension,
    log_in,
    make_keypair,
    read_post_form,
    register,
    to_login_page,
)

NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
      "xenc": "http://www.w3.org/2001/04/xmlenc#", "ds": "http://www.w3.org/2000/09/xmldsig#",
      "md": "urn:oasis:names:tc:SAML:2.0:metadata"}
TRUST = "{https://www.akdb.de/request/2018/09}TrustLevel"


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return make_keypair("python3-saml SP")


@pytest.fixture
async def idp_metadata(client: httpx.AsyncClient) -> str:
    return (await client.get("/nutzerkonto/saml/metadata")).text


async def login_as(client: httpx.AsyncClient, sp: OneLoginSp, *, identity: str = "erika-mustermann",
                   method: str = "eID") -> tuple[httpx.Response, str]:
    url, request_id = sp.redirect_url()
    login = await to_login_page(client, await client.get(url))
    return await log_in(client, login, identity=identity, method=method), request_id


def attributes_of(auth: object) -> dict[str, etree._Element]:
    """The decrypted assertion's attributes by FriendlyName (python3-saml keeps the decrypted document)."""
    document = etree.fromstring(auth.get_last_response_xml().encode())  # type: ignore[attr-defined]
    return {a.get("FriendlyName"): a for a in document.iterfind(".//saml:Attribute", NS)}


@pytest.mark.parametrize(("requested", "identity", "method", "reached"), [
    (1, "erika-mustermann", "Benutzername", 1),
    (2, "max-mustermann", "Elster", 3),
    (3, "erika-mustermann", "Elster", 3),
    (4, "erika-mustermann", "eID", 4),
    (4, "elodie-martin", "eIDAS", 4),
])
async def test_each_stork_level_is_reached_and_accepted(client: httpx.AsyncClient, idp_metadata: str,
                                                        keys: KeyPair, requested: int, identity: str, method: str,
                                                        reached: int) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, levels=[f"STORK-QAA-Level-{requested}"])
    await register(client, sp.metadata())
    answer, request_id = await login_as(client, sp, identity=identity, method=method)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    form = read_post_form(answer.text)
    assert form.fields["RelayState"] == "https://sp.example/after"

    auth = sp.consume(form, request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.is_authenticated()
    assert auth.get_nameid_format() == TRANSIENT
    assert auth.get_last_authn_contexts() == [f"STORK-QAA-Level-{reached}"]
    released = auth.get_attributes()
    assert released[OID["qaa"]] == [f"STORK-QAA-Level-{reached}"]
    assert released[OID["provedBy"]] == [method]
    assert OID["givenName"] in released and OID["bPK2"] in released


async def test_requested_attributes_come_with_friendly_names_and_trust_levels(
        client: httpx.AsyncClient, idp_metadata: str, keys: KeyPair) -> None:
    wanted = [(OID["givenName"], True), (OID["mail"], False), (OID["bPK2"], True), (OID["postkorb"], False),
              ("urn:oid:1.2.40.0.10.2.1.1.149", False)]  # bPK (Austrian): unknown here, silently not released
    sp = OneLoginSp(idp_metadata, keys=keys, levels=["STORK-QAA-Level-3"],
                    extension=akdb_extension(wanted, display_name="Straßenverkehrsamt Köln"))
    await register(client, sp.metadata())
    url, request_id = sp.redirect_url()
    login = await to_login_page(client, await client.get(url))
    assert "Straßenverkehrsamt Köln" in (await client.get(login)).text

    auth = sp.consume(read_post_form((await log_in(client, login, method="eID")).text), request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    attributes = attributes_of(auth)
    assert sorted(attributes) == sorted(["givenName", "mail", "bPK2", "legacyPostkorbHandle",
                                         "EID-CITIZEN-QAA-LEVEL", "AssertionProvedBy", "Version"])
    for attribute in attributes.values():
        assert attribute.get("NameFormat") == "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
        assert attribute.get("Name").startswith("urn:oid:")
    assert attributes["givenName"].get(TRUST) == "HOCH"  # read from the ID card
    assert attributes["mail"].get(TRUST) == "NORMAL"  # typed in by the citizen, whatever the login
    assert attributes["bPK2"].get(TRUST) == "NORMAL"
    assert auth.get_friendlyname_attributes()["legacyPostkorbHandle"] == ["14233873-c709-524f-8de8-2bb055f50178"]


async def test_without_requested_attributes_all_the_identity_has_are_released(
        client: httpx.AsyncClient, idp_metadata: str, keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, levels=["STORK-QAA-Level-1"])
    await register(client, sp.metadata())
    answer, request_id = await login_as(client, sp, method="Benutzername")
    auth = sp.consume(read_post_form(answer.text), request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    attributes = attributes_of(auth)
    assert {"givenName", "surname", "birthdate", "birthName", "placeOfBirth", "Country", "bPK2", "telephoneNumber",
            "legacyPostkorbHandle"} <= set(attributes)
    assert attributes["surname"].get(TRUST) == "NORMAL"  # STORK-QAA-Level-1
    assert attributes["telephoneNumber"].get(TRUST) == "UNTERGEORDNET"
    assert auth.get_friendlyname_attributes()["birthdate"] == ["1964-08-12"]


async def test_http_post_binding_with_an_enveloped_signature(client: httpx.AsyncClient, idp_metadata: str,
                                                            keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, levels=["STORK-QAA-Level-4"], binding=
                    "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    await register(client, sp.metadata())
    fields, sso_url, request_id = sp.signed_post_request()
    assert sso_url.endswith("/nutzerkonto/idp/profile/SAML2/POST/SSO")
    login = await to_login_page(client, await client.post(sso_url, data=fields))
    form = read_post_form((await log_in(client, login, method="eID")).text)
    assert form.fields["RelayState"] == "post-state"
    auth = sp.consume(form, request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_last_authn_contexts() == ["STORK-QAA-Level-4"]


async def test_step_up_is_refused_on_the_page_and_never_answered_below_the_level(
        client: httpx.AsyncClient, idp_metadata: str, keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, levels=["STORK-QAA-Level-4"])
    await register(client, sp.metadata())
    url, request_id = sp.redirect_url()
    login = await to_login_page(client, await client.get(url))
    for method in ("Benutzername", "Elster"):
        refused = await log_in(client, login, method=method)
        assert refused.status_code == 422
        assert "SAMLResponse" not in refused.text
        assert "STORK-QAA-Level-4" in refused.text
    auth = sp.consume(read_post_form((await log_in(client, login, method="eID")).text), request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_last_authn_contexts() == ["STORK-QAA-Level-4"]


def status_of(form_fields: dict[str, str]) -> tuple[list[str], str | None]:
    document = etree.fromstring(base64.b64decode(form_fields["SAMLResponse"]))
    codes = [c.get("Value") for c in document.iterfind(".//samlp:StatusCode", NS)]
    message = document.findtext(".//samlp:StatusMessage", namespaces=NS)
    assert document.find("saml:Assertion", NS) is None and document.find("saml:EncryptedAssertion", NS) is None
    return codes, message


async def test_cancel_answers_authn_failed_with_bundids_message(client: httpx.AsyncClient, idp_metadata: str,
                                                                keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys)
    await register(client, sp.metadata())
    url, request_id = sp.redirect_url()
    login = await to_login_page(client, await client.get(url))
    form = read_post_form((await log_in(client, login, action="cancel")).text)
    assert status_of(form.fields) == (["urn:oasis:names:tc:SAML:2.0:status:Requester",
                                       "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"],
                                      "Authentication was canceled by the user.")
    auth = sp.consume(form, request_id)
    assert not auth.is_authenticated()
    assert "Requester -> Authentication was canceled by the user." in auth.get_last_error_reason()


async def test_forced_technical_error_answers_no_authn_context(client: httpx.AsyncClient, idp_metadata: str,
                                                               keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys)
    await register(client, sp.metadata())
    assert (await client.post("/_emulator/nutzerkonto/next-login", json={"outcome": "error"})).status_code == 201
    answer, request_id = await login_as(client, sp)
    form = read_post_form(answer.text)
    codes, _ = status_of(form.fields)
    assert codes == ["urn:oasis:names:tc:SAML:2.0:status:Requester",
                     "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"]
    assert not sp.consume(form, request_id).is_authenticated()


async def test_exact_comparison_is_answered_with_the_requested_class(client: httpx.AsyncClient, idp_metadata: str,
                                                                     keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, levels=["STORK-QAA-Level-3"], comparison="exact")
    await register(client, sp.metadata())
    answer, request_id = await login_as(client, sp, method="eID")
    auth = sp.consume(read_post_form(answer.text), request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_last_authn_contexts() == ["STORK-QAA-Level-3"]  # eID satisfies level 3, truthfully
    assert auth.get_attributes()[OID["qaa"]] == ["STORK-QAA-Level-4"]  # what the login really reached


async def test_eidas_loa_requests_are_answered_in_eidas_terms(client: httpx.AsyncClient, idp_metadata: str,
                                                              keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, levels=["http://eidas.europa.eu/LoA/substantial"])
    await register(client, sp.metadata())
    url, request_id = sp.redirect_url()
    login = await to_login_page(client, await client.get(url))
    assert (await log_in(client, login, method="Benutzername")).status_code == 422
    auth = sp.consume(read_post_form((await log_in(client, login, method="Elster")).text), request_id)
    assert auth.get_last_authn_contexts() == ["http://eidas.europa.eu/LoA/substantial"]


async def test_aes_cbc_when_the_sp_metadata_asks_for_it(client: httpx.AsyncClient, idp_metadata: str,
                                                        keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys)
    metadata = etree.fromstring(sp.metadata().encode())
    descriptor = metadata.find(".//md:KeyDescriptor[@use='encryption']", NS)
    etree.SubElement(descriptor, f"{{{NS['md']}}}EncryptionMethod",
                     Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc")
    registered = await register(client, etree.tostring(metadata))
    assert registered["encryption_method"] == "http://www.w3.org/2001/04/xmlenc#aes256-cbc"

    answer, request_id = await login_as(client, sp)
    form = read_post_form(answer.text)
    raw = etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
    methods = [m.get("Algorithm") for m in raw.iterfind(".//xenc:EncryptedData/xenc:EncryptionMethod", NS)]
    assert methods == ["http://www.w3.org/2001/04/xmlenc#aes256-cbc"]
    auth = sp.consume(form, request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()


async def test_unencrypted_assertion_signed_alone_when_the_sp_is_registered_so(
        client: httpx.AsyncClient, idp_metadata: str, keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, encrypted=False)
    sp.settings["security"]["wantMessagesSigned"] = False
    registered = await register(client, sp.metadata(), sign_response="false", encrypt_assertion="false")
    assert (registered["sign_response"], registered["sign_assertion"], registered["encrypt_assertion"]) == (
        False, True, False)
    answer, request_id = await login_as(client, sp)
    form = read_post_form(answer.text)
    raw = etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
    assert raw.find("ds:Signature", NS) is None
    assert raw.find("saml:Assertion/ds:Signature", NS) is not None
    auth = sp.consume(form, request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()


async def test_a_tampered_assertion_is_refused(client: httpx.AsyncClient, idp_metadata: str,
                                               keys: KeyPair) -> None:
    sp = OneLoginSp(idp_metadata, keys=keys, encrypted=False)
    await register(client, sp.metadata(), encrypt_assertion="false")
    answer, request_id = await login_as(client, sp)
    form = read_post_form(answer.text)
    original = base64.b64decode(form.fields["SAMLResponse"])
    assert b">Erika<" in original
    form.fields["SAMLResponse"] = base64.b64encode(original.replace(b">Erika<", b">Mallory<")).decode()
    auth = sp.consume(form, request_id)
    assert not auth.is_authenticated()
    assert auth.get_errors() == ["invalid_response"]
    assert "Signature validation failed" in auth.get_last_error_reason()


async def test_after_key_rotation_only_sps_with_fresh_metadata_accept(client: httpx.AsyncClient,
                                                                      idp_metadata: str, keys: KeyPair) -> None:
    stale = OneLoginSp(idp_metadata, keys=keys)
    await register(client, stale.metadata())
    rotated = await client.post("/_emulator/nutzerkonto/keys/rotate")
    assert rotated.status_code == 200
    fresh_metadata = (await client.get("/nutzerkonto/saml/metadata")).text
    assert fresh_metadata.count("<ds:X509Certificate>") == 2  # the new key signs, the old one is still published

    fresh = OneLoginSp(fresh_metadata, keys=keys)
    answer, request_id = await login_as(client, fresh)
    auth = fresh.consume(read_post_form(answer.text), request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()

    answer, request_id = await login_as(client, stale)
    assert not stale.consume(read_post_form(answer.text), request_id).is_authenticated()


async def test_only_the_methods_the_service_enables_are_offered(
        client: httpx.AsyncClient, idp_metadata: str, keys: KeyPair) -> None:
    methods = {"eID": True, "Benutzername": False, "Elster": False}
    sp = OneLoginSp(idp_metadata, keys=keys, levels=["STORK-QAA-Level-1"],
                    extension=akdb_extension([(OID["givenName"], True)], methods=methods))
    await register(client, sp.metadata())
    url, request_id = sp.redirect_url()
    login = await to_login_page(client, await client.get(url))
    refused = await log_in(client, login, method="Benutzername")
    assert refused.status_code == 422  # level 1 would do, but the service allows only the Online-Ausweis
    auth = sp.consume(read_post_form((await log_in(client, login, method="eID")).text), request_id)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_friendlyname_attributes()["AssertionProvedBy"] == ["eID"]
