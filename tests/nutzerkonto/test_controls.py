"""The Nutzerkonto's emulator controls through the gateway: test identities, the next login's outcome, signing
key rotation, and what a reset keeps."""

from typing import Any

import httpx

from gateway.app import Gateway
from services.nutzerkonto.identities import bpk2_for, postkorb_handle_for
from tests.nutzerkonto.login_tools import mint_access_token, nutzerkonto, page, record_logins, start_login

IDENTITIES = "/_emulator/nutzerkonto/identities"
HANS = {"id": "hans-beispiel", "display_name": "Hans Beispiel", "username": "hans",
        "methods": ["Benutzername", "Elster"],
        "attributes": {"givenName": "Hans", "surname": "Beispiel", "birthdate": "1970-01-01"}}


async def listed(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in (await client.get(IDENTITIES)).json()}


async def test_create_list_and_log_in_with_a_new_identity(client: httpx.AsyncClient, suite: Gateway) -> None:
    created = await client.post(IDENTITIES, json=HANS)
    assert created.status_code == 201
    body = created.json()
    assert body["kind"] == "person" and body["seeded"] is False and body["password"] == "test"
    # Pseudonyms are derived, never given: the same on every machine, like the seeded ones.
    assert body["attributes"]["bPK2"] == bpk2_for("hans-beispiel")
    assert body["attributes"]["legacyPostkorbHandle"] == postkorb_handle_for("hans-beispiel")
    assert (await listed(client))["hans-beispiel"]["display_name"] == "Hans Beispiel"
    seed = (await client.get("/_emulator/seed")).json()["nutzerkonto"]
    assert "hans-beispiel" in {i["id"] for i in seed["identities"]}

    finisher = record_logins(suite)
    login_id = await start_login(suite)
    assert "identitaet-hans-beispiel" in (await client.get(f"/nutzerkonto/login/{login_id}")).text
    answer = await client.post(f"/nutzerkonto/login/{login_id}",
                               data={"identity": "hans-beispiel", "method": "Elster", "action": "login"})
    assert answer.status_code == 200 and finisher.calls[0]["identity"] == "hans-beispiel"


async def test_update_changes_data_but_not_the_pseudonyms(client: httpx.AsyncClient) -> None:
    await client.post(IDENTITIES, json=HANS)
    updated = await client.patch(f"{IDENTITIES}/hans-beispiel", json={
        "display_name": "Dr. Hans Beispiel", "methods": ["eID"],
        "attributes": {"personalTitle": "Dr.", "bPK2": "selbst-gewaehlt"}})
    assert updated.status_code == 200
    hans = (await listed(client))["hans-beispiel"]
    assert hans["display_name"] == "Dr. Hans Beispiel" and hans["methods"] == ["eID"]
    assert hans["attributes"]["personalTitle"] == "Dr." and hans["attributes"]["givenName"] == "Hans"
    assert hans["attributes"]["bPK2"] == bpk2_for("hans-beispiel")
    missing = await client.patch(f"{IDENTITIES}/niemand", json={"display_name": "X"})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


async def test_delete_removes_the_identity_from_the_page(client: httpx.AsyncClient, suite: Gateway) -> None:
    await client.post(IDENTITIES, json=HANS)
    assert (await client.delete(f"{IDENTITIES}/hans-beispiel")).status_code == 204
    assert "hans-beispiel" not in await listed(client)
    assert (await client.delete(f"{IDENTITIES}/hans-beispiel")).status_code == 404
    login_id = await start_login(suite)
    document = page((await client.get(f"/nutzerkonto/login/{login_id}")).text)
    assert not document.xpath("//input[@value='hans-beispiel']")


async def test_invalid_identities_are_422_problems(client: httpx.AsyncClient) -> None:
    for change in ({"id": "Hans Beispiel"}, {"methods": ["Zauberstab"]}, {"methods": []},
                   {"attributes": {"lieblingsfarbe": "blau"}}, {"kind": "verein"}, {"extra": True},
                   {"display_name": ""}):
        answer = await client.post(IDENTITIES, json={**HANS, **change})
        assert answer.status_code == 422, change
        assert answer.headers["content-type"] == "application/problem+json"
    unknown = await client.post(IDENTITIES, json={**HANS, "attributes": {"lieblingsfarbe": "blau"}})
    assert "givenName" in unknown.json()["known"]
    assert "hans-beispiel" not in await listed(client)


async def test_duplicate_ids_and_usernames_are_409(client: httpx.AsyncClient) -> None:
    assert (await client.post(IDENTITIES, json=HANS)).status_code == 201
    same_id = await client.post(IDENTITIES, json={**HANS, "username": "hans2"})
    assert same_id.status_code == 409
    assert same_id.json()["type"] == "urn:basisdienste:problem:identity-exists"
    seeded_username = await client.post(IDENTITIES, json={**HANS, "id": "hans-zwei", "username": "erika"})
    assert seeded_username.status_code == 409
    assert (await listed(client))["hans-beispiel"]["username"] == "hans"


async def test_a_forced_outcome_ends_the_next_login_only(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    choice = {"identity": "erika-mustermann", "method": "eID", "action": "login"}
    for outcome, reason in (("cancel", "cancelled"), ("error", "error")):
        forced = await client.post("/_emulator/nutzerkonto/next-login", json={"outcome": outcome})
        assert forced.status_code == 201 and forced.json() == {"next_login": outcome}
        answer = await client.post(f"/nutzerkonto/login/{await start_login(suite)}", data=choice)
        assert answer.json() == {"outcome": reason}
    normal = await client.post(f"/nutzerkonto/login/{await start_login(suite)}", data=choice)
    assert normal.json()["outcome"] == "succeeded"
    assert [c["outcome"] for c in finisher.calls] == ["cancelled", "error", "succeeded"]
    bad = await client.post("/_emulator/nutzerkonto/next-login", json={"outcome": "explode"})
    assert bad.status_code == 422


async def test_forced_outcomes_queue_one_per_login(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    for outcome in ("error", "cancel"):
        await client.post("/_emulator/nutzerkonto/next-login", json={"outcome": outcome})
    for _ in range(3):
        await client.post(f"/nutzerkonto/login/{await start_login(suite)}",
                          data={"identity": "max-mustermann", "method": "Elster", "action": "login"})
    assert [c["outcome"] for c in finisher.calls] == ["error", "cancelled", "succeeded"]


async def test_key_rotation_signs_with_a_new_key_and_keeps_the_old_one_published(
        client: httpx.AsyncClient, suite: Gateway) -> None:
    keys = nutzerkonto(suite).state.nutzerkonto.keys
    before = keys.active.kid
    signed_before = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    rotated = await client.post("/_emulator/nutzerkonto/keys/rotate")
    assert rotated.status_code == 200
    first = rotated.json()
    assert first["active_kid"] != before and first["published"] == [first["active_kid"], before]
    assert keys.active.kid == first["active_kid"]
    # Tokens signed before the rotation stay valid where this service checks them, and new ones are accepted.
    body = {"UseOperations": {"GivenNames": "REQUIRED"}, "RefreshAddress": "https://dienst.example/zurueck"}
    for token in (signed_before, mint_access_token(suite, client_id="stadt-koblenz-parkausweis")):
        answer = await client.post("/nutzerkonto/eid/sessions", json=body,
                                   headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201
    second = (await client.post("/_emulator/nutzerkonto/keys/rotate")).json()
    assert second["published"] == [second["active_kid"], first["active_kid"]]  # the oldest is gone
    gone = await client.post("/nutzerkonto/eid/sessions", json=body,
                             headers={"Authorization": f"Bearer {signed_before}"})
    assert gone.status_code == 401


async def test_reset_keeps_the_keys_and_restores_the_seeded_identities(client: httpx.AsyncClient,
                                                                       suite: Gateway) -> None:
    seeded = await listed(client)
    await client.post(IDENTITIES, json=HANS)
    await client.patch(f"{IDENTITIES}/max-mustermann", json={"display_name": "Maximilian"})
    assert (await client.delete(f"{IDENTITIES}/erika-mustermann")).status_code == 204
    active = (await client.post("/_emulator/nutzerkonto/keys/rotate")).json()["active_kid"]
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")

    assert (await client.post("/_emulator/reset")).status_code == 200
    assert await listed(client) == seeded
    assert nutzerkonto(suite).state.nutzerkonto.keys.active.kid == active
    answer = await client.post("/nutzerkonto/eid/sessions", headers={"Authorization": f"Bearer {token}"}, json={
        "UseOperations": {"GivenNames": "REQUIRED"}, "RefreshAddress": "https://dienst.example/zurueck"})
    assert answer.status_code == 201
