"""The IdP's metadata, and the registry of service providers: upload through the API, from configuration at
startup, listing in the seed, replacing, deleting, and refusing metadata it cannot use."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from asgi_lifespan import LifespanManager
from lxml import etree

from gateway.suite import build_gateway, service_app
from services.nutzerkonto.models import Base
from tests.conftest import client_for
from tests.nutzerkonto.saml_sp import REGISTER, KeyPair, make_keypair

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS = {"md": MD, "ds": "http://www.w3.org/2000/09/xmldsig#"}
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
XML = {"content-type": "application/samlmetadata+xml"}


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return make_keypair("registry SP")


def sp_metadata(keys: KeyPair, *, entity_id: str = "https://portal.example/sp",
                acs: tuple[tuple[str, str], ...] = (("https://portal.example/acs", POST),),
                encryption: bool = True, name: str = "Bürgerportal Koblenz", certificate: str | None = None) -> str:
    cert = certificate if certificate is not None else keys.cert_base64
    key_info = f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
    endpoints = "".join(f'<md:AssertionConsumerService Binding="{b}" Location="{u}" index="{i}"/>'
                        for i, (u, b) in enumerate(acs))
    return (
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{NS["ds"]}" entityID="{entity_id}">'
        '<md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing">{key_info}</md:KeyDescriptor>'
        + (f'<md:KeyDescriptor use="encryption">{key_info}</md:KeyDescriptor>' if encryption else "")
        + f"{endpoints}</md:SPSSODescriptor>"
        f'<md:Organization><md:OrganizationName xml:lang="de">{name}</md:OrganizationName>'
        f'<md:OrganizationDisplayName xml:lang="de">{name}</md:OrganizationDisplayName>'
        '<md:OrganizationURL xml:lang="de">https://portal.example</md:OrganizationURL></md:Organization>'
        "</md:EntityDescriptor>")


async def test_idp_metadata_describes_the_bundid_endpoints_and_the_active_key(client: httpx.AsyncClient,
                                                                             suite: Any) -> None:
    answer = await client.get("/nutzerkonto/saml/metadata")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/samlmetadata+xml"
    root = etree.fromstring(answer.content)
    assert root.get("entityID") == "http://127.0.0.1:8000/nutzerkonto/idp"
    idp = root.find("md:IDPSSODescriptor", NS)
    assert idp.get("WantAuthnRequestsSigned") == "true"
    assert {(s.get("Binding").rsplit(":", 1)[1], s.get("Location")) for s in idp.iterfind("md:SingleSignOnService", NS)
            } == {("HTTP-POST", "http://127.0.0.1:8000/nutzerkonto/idp/profile/SAML2/POST/SSO"),
                  ("HTTP-Redirect", "http://127.0.0.1:8000/nutzerkonto/idp/profile/SAML2/Redirect/SSO")}
    assert idp.findtext("md:NameIDFormat", namespaces=NS) == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    active = suite.upstreams["nutzerkonto"].app.state.nutzerkonto.keys.active
    assert [c.text for c in idp.iterfind(".//ds:X509Certificate", NS)] == [active.certificate_base64]
    # BundID's metadata URL is its entityID: the same document is served there.
    assert (await client.get("/nutzerkonto/idp")).content == answer.content


async def test_register_replace_list_and_delete(client: httpx.AsyncClient, keys: KeyPair) -> None:
    created = await client.post(REGISTER, content=sp_metadata(keys), headers=XML)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["entity_id"] == "https://portal.example/sp"
    assert body["name"] == "Bürgerportal Koblenz"
    assert body["assertion_consumer_services"] == [
        {"url": "https://portal.example/acs", "binding": POST, "index": 0, "is_default": False}]
    assert (body["authn_requests_signed"], body["sign_response"], body["sign_assertion"],
            body["encrypt_assertion"]) == (True, True, True, True)

    moved = sp_metadata(keys, acs=(("https://portal.example/new-acs", POST),), encryption=False)
    replaced = await client.post(REGISTER, content=moved, headers={"content-type": "application/xml"})
    assert replaced.status_code == 200
    assert replaced.json()["assertion_consumer_services"][0]["url"] == "https://portal.example/new-acs"
    assert replaced.json()["encrypt_assertion"] is False

    listed = (await client.get(REGISTER)).json()
    assert [sp["entity_id"] for sp in listed] == ["https://portal.example/sp"]
    seed = (await client.get("/_emulator/seed")).json()["nutzerkonto"]
    assert [sp["entity_id"] for sp in seed["saml_service_providers"]] == ["https://portal.example/sp"]

    params = {"entity_id": "https://portal.example/sp"}
    assert (await client.delete(REGISTER, params=params)).status_code == 204
    assert (await client.delete(REGISTER, params=params)).status_code == 404
    assert (await client.get(REGISTER)).json() == []


@pytest.mark.parametrize(("mutate", "detail"), [
    (lambda m: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>' + m, "DOCTYPE"),
    (lambda m: m.replace("md:SPSSODescriptor", "md:IDPSSODescriptor"), "SPSSODescriptor"),
    (lambda m: m.replace(POST, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"), "HTTP-POST"),
    (lambda m: m.replace('Location="https://portal.example/acs"', 'Location="javascript:alert(1)"'), "http(s)"),
    (lambda m: f'<md:EntitiesDescriptor xmlns:md="{MD}">{m}</md:EntitiesDescriptor>', "md:EntityDescriptor"),
    (lambda m: m.replace('entityID="https://portal.example/sp"', 'entityID=""'), "entityID"),
    (lambda m: m[:-10], "wohlgeformtes XML"),
])
async def test_unusable_metadata_is_a_422_problem(client: httpx.AsyncClient, keys: KeyPair,
                                                  mutate: Callable[[str], str], detail: str) -> None:
    answer = await client.post(REGISTER, content=mutate(sp_metadata(keys)), headers=XML)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert detail in answer.json()["detail"]
    assert (await client.get(REGISTER)).json() == []


async def test_bad_certificates_wrong_media_types_and_impossible_options_are_refused(
        client: httpx.AsyncClient, keys: KeyPair) -> None:
    bad_cert = await client.post(REGISTER, content=sp_metadata(keys, certificate="bm90IGEgY2VydA=="), headers=XML)
    assert bad_cert.status_code == 422 and "X.509" in bad_cert.json()["detail"]
    as_json = await client.post(REGISTER, json={"metadata": sp_metadata(keys)})
    assert as_json.status_code == 415
    no_key = await client.post(REGISTER, content=sp_metadata(keys, encryption=False), headers=XML,
                               params={"encrypt_assertion": "true"})
    assert no_key.status_code == 422 and "encryption" in no_key.json()["detail"]


async def test_registration_answers_loopback_callers_only(suite: Any, keys: KeyPair) -> None:
    async with client_for(suite, client=("203.0.113.7", 40000)) as stranger:
        answer = await stranger.post(REGISTER, content=sp_metadata(keys), headers=XML)
    assert answer.status_code == 403


async def test_configured_metadata_files_are_registered_at_startup_and_after_reset(
        gateway_settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, keys: KeyPair) -> None:
    path = tmp_path / "portal-sp.xml"
    path.write_text(sp_metadata(keys, name="Portal aus der Konfiguration"))
    monkeypatch.setenv("BASISDIENSTE_NUTZERKONTO_SAML_SERVICE_PROVIDER_METADATA", json.dumps([str(path)]))
    gateway = build_gateway(gateway_settings(rate_limit_per_second=0))
    async with LifespanManager(gateway, startup_timeout=60), client_for(gateway) as client:
        listed = (await client.get(REGISTER)).json()
        assert [(sp["name"], sp["source"]) for sp in listed] == [("Portal aus der Konfiguration", "config")]
        await client.delete(REGISTER, params={"entity_id": "https://portal.example/sp"})
        assert (await client.post("/_emulator/reset")).status_code == 200
        assert [sp["entity_id"] for sp in (await client.get(REGISTER)).json()] == ["https://portal.example/sp"]


async def test_an_unusable_configured_file_stops_the_service_from_starting(suite_settings: Any,
                                                                           tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<md:EntityDescriptor")
    app = service_app("nutzerkonto", suite_settings(), saml_service_provider_metadata=[broken])
    with pytest.raises(RuntimeError, match=r"broken\.xml"):
        async with LifespanManager(app, startup_timeout=60):
            pass


async def test_the_saml_migration_matches_the_models(suite: Any) -> None:
    db = suite.upstreams["nutzerkonto"].app.state.runtime.db

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if "saml_" in repr(d)]

    async with db.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
        assert {"saml_service_providers", "saml_seen_requests"} <= tables
        assert await connection.run_sync(differences) == []
