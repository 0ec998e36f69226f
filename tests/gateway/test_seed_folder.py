"""A seed folder (``basisdienste up --seed DIR``) as a team writes one: YAML and JSON files with identities, clients,
a SAML SP, an online service with its office, an authority with Leitweg-IDs and a FIT-Connect destination. It is
registered when the suite starts and again after every reset; a folder with a broken file, an invalid identity or a
Leitweg-ID whose check digit is wrong is refused naming the file and the field, and leaves the data as it was."""

import argparse
import contextlib
import json
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway import state_cli
from gateway.app import Gateway
from gateway.suite import build_gateway
from tests.bezahlplattform.xbd_client import XBezahldiensteClient, basic
from tests.conftest import client_for
from tests.nutzerkonto.saml_sp import KeyPair, make_keypair

KOBLENZ = "071110000000"
# The valid real Leitweg-ID reference/rechnungseingang.md gives as its example, and its ARS (not seeded).
TEAM_ARS = "073355011000"
TEAM_LEITWEG_ID = "073355011000-001-59"
TESTSUITE_LEITWEG_ID = "04011000-12345-03"
WRONG_CHECK_DIGIT = "04011000-12345-34"  # one of the three IDs of the KoSIT testsuite that fail the check
SP_ENTITY_ID = "https://team-portal.example/sp"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

IDENTITIES = """\
    # Test people of our team. Dates unquoted, as people write them in YAML.
    identities:
      - id: jana-seedfolder
        display_name: Jana Seedfolder
        username: jana
        methods: [Benutzername, eID]
        attributes:
          givenName: Jana
          surname: Seedfolder
          birthdate: 1990-04-01
          postalCode: "56068"
          localityName: Koblenz
    clients:
      - client_id: team-portal
        client_name: Team-Portal
        client_secret: team-portal-secret
        redirect_uris: [http://localhost:4000/callback]
        scopes: [openid, profile]
    saml_service_providers:
      - metadata: team-portal-sp.xml
        encrypt_assertion: false
"""


def originators() -> dict[str, Any]:
    return {"originators": [{
        "originatorId": "teamgebuehr", "name": "Teamgebühr", "basicUsername": "teamgebuehr-071110000000",
        "basicPassword": "teamgebuehr-secret",
        "endpoints": [{"endpointId": KOBLENZ, "name": "Stadt Koblenz", "serviceName": "Teamgebühr"}]}]}


def invoicing(authority_ids: list[str], routed: str = TESTSUITE_LEITWEG_ID) -> dict[str, Any]:
    return {"authorities": [{"ars": TEAM_ARS, "name": "Team-Behörde",
                             "leitweg_ids": authority_ids}],
            "leitweg_ids": [{"leitweg_id": routed, "ars": KOBLENZ, "description": "KoSIT-Testsuite"}]}


DESTINATIONS = "fitconnect_destinations:\n  - {name: Team-Fachverfahren, ars: '073355011000', key_bits: 2048}\n"


@pytest.fixture(scope="module")
def sp_keys() -> KeyPair:
    return make_keypair("team portal SP")


def sp_metadata(keys: KeyPair) -> str:
    key_info = (f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{keys.cert_base64}</ds:X509Certificate>"
                "</ds:X509Data></ds:KeyInfo>")
    return (f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
            f'entityID="{SP_ENTITY_ID}"><md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            f'<md:KeyDescriptor use="signing">{key_info}</md:KeyDescriptor>'
            f'<md:AssertionConsumerService Binding="{POST}" Location="https://team-portal.example/acs" index="0"/>'
            "</md:SPSSODescriptor></md:EntityDescriptor>")


@pytest.fixture
def folder(tmp_path: Path, sp_keys: KeyPair) -> Path:
    """A valid seed folder: YAML and JSON files side by side, with the SP's metadata file."""
    path = tmp_path / "seed"
    path.mkdir()
    (path / "identities.yaml").write_text(textwrap.dedent(IDENTITIES), encoding="utf-8")
    (path / "team-portal-sp.xml").write_text(sp_metadata(sp_keys), encoding="utf-8")
    (path / "payments.json").write_text(json.dumps(originators(), ensure_ascii=False), encoding="utf-8")
    (path / "invoicing.yml").write_text(json.dumps(invoicing([TEAM_LEITWEG_ID])), encoding="utf-8")
    (path / "README.txt").write_text("not a data file: ignored", encoding="utf-8")
    return path


def up_args(**values: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"import_dir": None, "seed_dir": None, "export_on_exit": None, **values})


@contextlib.asynccontextmanager
async def seeded_suite(gateway_settings: Callable[..., Any], seed_dir: Path
                       ) -> AsyncIterator[tuple[Gateway, httpx.AsyncClient]]:
    """The suite as ``basisdienste up --seed DIR`` starts it."""
    gateway = build_gateway(gateway_settings(rate_limit_per_second=0))
    state_cli.prepare_up(gateway, up_args(seed_dir=seed_dir))
    async with LifespanManager(gateway, startup_timeout=60), client_for(gateway) as client:
        yield gateway, client


async def seeded(client: httpx.AsyncClient) -> dict[str, Any]:
    """What the folder registered, as the services' controls list it."""
    def ids(answer: httpx.Response, key: str) -> set[str]:
        assert answer.status_code == 200, answer.text
        return {entry[key] for entry in answer.json()}

    seed = await client.get("/_emulator/postfach/seed")
    assert seed.status_code == 200, seed.text
    authorities = (await client.get("/_emulator/rechnungseingang/authorities")).json()
    return {
        "identities": ids(await client.get("/_emulator/nutzerkonto/identities"), "id"),
        "clients": ids(await client.get("/_emulator/nutzerkonto/clients"), "client_id"),
        "sps": ids(await client.get("/_emulator/nutzerkonto/service-providers"), "entity_id"),
        "originators": ids(await client.get("/_emulator/bezahlplattform/originators"), "originatorId"),
        "leitweg_ids": {i for a in authorities for i in a["leitweg_ids"]},
        "destinations": {d["name"]: d["destinationId"] for d in seed.json()["fitconnect"]["destinations"]},
    }


def assert_folder_registered(state: dict[str, Any]) -> None:
    assert "jana-seedfolder" in state["identities"]
    assert "team-portal" in state["clients"]
    assert SP_ENTITY_ID in state["sps"]
    assert "teamgebuehr" in state["originators"]
    assert {TEAM_LEITWEG_ID, TESTSUITE_LEITWEG_ID} <= state["leitweg_ids"]


# -- a valid folder --------------------------------------------------------------------------------------------

async def test_a_valid_folder_is_registered_at_start_and_works(gateway_settings: Callable[..., Any],
                                                               folder: Path) -> None:
    async with seeded_suite(gateway_settings, folder) as (_, client):
        assert_folder_registered(await seeded(client))
        identity = next(i for i in (await client.get("/_emulator/nutzerkonto/identities")).json()
                        if i["id"] == "jana-seedfolder")
        assert identity["attributes"]["birthdate"] == "1990-04-01"
        # The online service takes payments with its own Basic credentials.
        payments = XBezahldiensteClient(client, "/bezahlplattform", "teamgebuehr", KOBLENZ,
                                        basic("teamgebuehr-071110000000", "teamgebuehr-secret"))
        assert (await payments.create(amount=5.0))["paymentInformation"]["status"] == "INITIAL"
        # The client gets tokens with its secret.
        token = await client.post("/nutzerkonto/token", auth=("team-portal", "team-portal-secret"),
                                  data={"grant_type": "client_credentials"})
        assert token.status_code in (200, 400), token.text  # a client without client_credentials says so


async def test_the_folder_survives_a_reset(gateway_settings: Callable[..., Any], folder: Path) -> None:
    async with seeded_suite(gateway_settings, folder) as (_, client):
        reset = await client.post("/_emulator/reset")
        assert reset.status_code == 200, reset.text
        assert_folder_registered(await seeded(client))
        # What was made meanwhile is gone, as after any reset.
        made = await client.post("/_emulator/nutzerkonto/identities", json={
            "id": "temporary-person", "display_name": "Temp", "username": "temp", "methods": ["Benutzername"],
            "attributes": {"givenName": "T", "surname": "P"}})
        assert made.status_code == 201
        assert (await client.post("/_emulator/reset")).status_code == 200
        assert "temporary-person" not in (await seeded(client))["identities"]


async def test_a_restart_on_the_same_data_registers_the_folder_again(gateway_settings: Callable[..., Any],
                                                                    folder: Path) -> None:
    async with seeded_suite(gateway_settings, folder) as (_, client):
        assert_folder_registered(await seeded(client))
    # The entries exist now: identities and originators are updated from the files, the rest registered again.
    text = (folder / "identities.yaml").read_text().replace("display_name: Jana Seedfolder", "display_name: Jana S.")
    (folder / "identities.yaml").write_text(text)
    async with seeded_suite(gateway_settings, folder) as (_, client):
        assert_folder_registered(await seeded(client))
        identity = next(i for i in (await client.get("/_emulator/nutzerkonto/identities")).json()
                        if i["id"] == "jana-seedfolder")
        assert identity["display_name"] == "Jana S."


async def test_a_destination_keeps_its_id_and_keys_across_resets(gateway_settings: Callable[..., Any],
                                                                 folder: Path) -> None:
    (folder / "destinations.yaml").write_text(DESTINATIONS)
    async with seeded_suite(gateway_settings, folder) as (_, client):
        before = (await seeded(client))["destinations"]
        assert before.get("Team-Fachverfahren")
        keys = await client.get(f"/_emulator/postfach/fitconnect/destinations/{before['Team-Fachverfahren']}"
                                "/private-keys")
        assert keys.status_code == 200, keys.text
        reset = await client.post("/_emulator/reset")
        assert reset.status_code == 200, reset.text
        after = (await seeded(client))["destinations"]
        # Its id, and so its keys, stay the same across resets (and machines).
        assert after.get("Team-Fachverfahren") == before["Team-Fachverfahren"]
        again = await client.get(f"/_emulator/postfach/fitconnect/destinations/{after['Team-Fachverfahren']}"
                                 "/private-keys")
        assert again.json() == keys.json()


async def test_an_edited_folder_applies_at_the_next_reset_and_a_broken_one_refuses_it(
        gateway_settings: Callable[..., Any], folder: Path) -> None:
    async with seeded_suite(gateway_settings, folder) as (_, client):
        data = originators()
        data["originators"][0]["originatorId"] = "teamgebuehr2"
        data["originators"][0]["basicUsername"] = "teamgebuehr2-071110000000"
        (folder / "payments.json").write_text(json.dumps(data))
        assert (await client.post("/_emulator/reset")).status_code == 200
        assert "teamgebuehr2" in (await seeded(client))["originators"]

        made = await client.post("/_emulator/nutzerkonto/identities", json={
            "id": "kept-person", "display_name": "Kept", "username": "kept", "methods": ["Benutzername"],
            "attributes": {"givenName": "K", "surname": "P"}})
        assert made.status_code == 201
        (folder / "payments.json").write_text('{"originators": [')
        refused = await client.post("/_emulator/reset")
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert "payments.json" in problem["detail"] and "not valid JSON" in problem["detail"]
        assert "nothing was reset" in problem["detail"]
        assert "kept-person" in (await seeded(client))["identities"]


async def test_an_entry_a_service_refuses_at_reset_leaves_the_built_in_seed(
        gateway_settings: Callable[..., Any], folder: Path) -> None:
    async with seeded_suite(gateway_settings, folder) as (_, client):
        (folder / "invoicing.yml").write_text(json.dumps(invoicing([WRONG_CHECK_DIGIT])))
        refused = await client.post("/_emulator/reset")
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert any("invoicing.yml: authorities[0].leitweg_ids: " in e and WRONG_CHECK_DIGIT in e
                   for e in problem["errors"]), problem
        assert "built-in seed data alone" in problem["detail"]
        state = await seeded(client)
        assert "jana-seedfolder" not in state["identities"]
        assert "erika-mustermann" in state["identities"]


# -- refusals at start -----------------------------------------------------------------------------------------

def refusal_at_start(folder: Path, gateway_settings: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``up --seed`` prints when it refuses the folder before the services start (exit code 2)."""
    gateway = build_gateway(gateway_settings(rate_limit_per_second=0))
    with pytest.raises(SystemExit) as stopped:
        state_cli.prepare_up(gateway, up_args(seed_dir=folder))
    assert stopped.value.code == state_cli.EXIT_REFUSED
    return capsys.readouterr().err


async def refusal_after_start(folder: Path, gateway_settings: Callable[..., Any],
                              capsys: pytest.CaptureFixture[str]) -> str:
    """What ``up --seed`` prints when a service refuses an entry; the suite does not start, exit code 2."""
    gateway = build_gateway(gateway_settings(rate_limit_per_second=0))
    state_cli.prepare_up(gateway, up_args(seed_dir=folder))
    # The lifespan itself (asgi-lifespan's LifespanManager does not report a failed startup; uvicorn does).
    with pytest.raises(state_cli.StartRefused):
        async with gateway.running():
            pass
    assert gateway.exit_code == state_cli.EXIT_REFUSED
    return capsys.readouterr().err


async def test_an_invalid_identity_is_refused_naming_file_and_field(
        gateway_settings: Callable[..., Any], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "people.yaml").write_text(textwrap.dedent("""\
        identities:
          - id: Hans Beispiel
            display_name: Hans Beispiel
            username: hans
            methods: [Benutzername]
            attributes: {givenName: Hans, surname: Beispiel}
          - id: gerda-beispiel
            display_name: Gerda Beispiel
            username: gerda
            methods: [Brieftaube]
            attributes: {givenName: Gerda, surname: Beispiel}
        """))
    message = await refusal_after_start(folder, gateway_settings, capsys)
    people = str(folder / "people.yaml")
    assert f"{people}: identities[0].id:" in message, message
    assert f"{people}: identities[1].methods[0]:" in message, message
    assert "nothing of it was kept" in message


async def test_a_leitweg_id_with_a_wrong_check_digit_is_refused_naming_file_and_field(
        gateway_settings: Callable[..., Any], folder: Path, capsys: pytest.CaptureFixture[str],
        storage: Any) -> None:
    (folder / "invoicing.yml").write_text(json.dumps(invoicing([WRONG_CHECK_DIGIT], routed="99000000-01944-98")))
    message = await refusal_after_start(folder, gateway_settings, capsys)
    invoicing_file = str(folder / "invoicing.yml")
    assert f"{invoicing_file}: authorities[0].leitweg_ids: " in message, message
    assert f"{invoicing_file}: leitweg_ids[0].leitweg_id:" in message, message
    assert f"Die Prüfziffer der Leitweg-ID „{WRONG_CHECK_DIGIT}“ ist falsch (erwartet: 03)" in message
    # Nothing of the folder was kept: the identities registered before the refusal were taken back.
    async with seeded_suite(gateway_settings, _empty_folder(folder.parent)) as (_, client):
        state = await seeded(client)
        assert "jana-seedfolder" not in state["identities"]
        assert "teamgebuehr" not in state["originators"]


def _empty_folder(parent: Path) -> Path:
    path = parent / "empty-seed"
    path.mkdir(exist_ok=True)
    (path / "nothing.yaml").write_text("# nothing yet\n")
    return path


def test_broken_files_are_refused_before_the_suite_starts(
        gateway_settings: Callable[..., Any], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "broken.yaml").write_text("identities: [\n")
    (folder / "typo.json").write_text(json.dumps({"identites": [], "clients": {"client_id": "x"}}))
    (folder / "saml.yaml").write_text("saml_service_providers:\n  - metadata: missing.xml\n")
    (folder / "twice.yaml").write_text(textwrap.dedent("""\
        identities:
          - {id: jana-seedfolder, display_name: J, username: j2, methods: [eID], attributes: {}}
        """))
    message = refusal_at_start(folder, gateway_settings, capsys)
    assert f"{folder / 'broken.yaml'}: not valid YAML" in message
    assert f"{folder / 'typo.json'}: unknown section 'identites'" in message
    assert f"{folder / 'typo.json'}: clients: expected a list of entries" in message
    assert f"{folder / 'saml.yaml'}: saml_service_providers[0].metadata: no file 'missing.xml'" in message
    assert f"{folder / 'twice.yaml'}: identities[0].id: 'jana-seedfolder' is given twice" in message


def test_a_missing_or_empty_folder_is_refused(gateway_settings: Callable[..., Any], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert "not a directory" in refusal_at_start(tmp_path / "nowhere", gateway_settings, capsys)
    (tmp_path / "empty").mkdir()
    assert "no *.yaml, *.yml or *.json files" in refusal_at_start(tmp_path / "empty", gateway_settings, capsys)
