"""The eID API end to end over HTTP, as an online service uses it: start a session with a bearer token, send the
citizen to the login page, get the browser back at the return URL, fetch the card's data once."""

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.app import Gateway
from kit.problems import Problem
from services.nutzerkonto.eid import service
from services.nutzerkonto.eid.models import EidSession
from tests.nutzerkonto.login_tools import eid_client_token, mint_access_token, nutzerkonto, page, text_of

RETURN = "https://dienst.example/eid/fertig?vorgang=42"
OPERATIONS = {"GivenNames": "REQUIRED", "FamilyNames": "REQUIRED", "BirthName": "ALLOWED",
              "DateOfBirth": "REQUIRED", "PlaceOfResidence": "ALLOWED", "RestrictedID": "REQUIRED",
              "AgeVerification": "REQUIRED"}
MAJOR_OK = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#ok"
MAJOR_ERROR = "http://www.bsi.bund.de/ecard/api/1.1/resultmajor#error"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def start(client: httpx.AsyncClient, token: str, **body: Any) -> dict[str, Any]:
    request = {"UseOperations": OPERATIONS, "AgeVerificationRequest": {"Age": 18}, "RefreshAddress": RETURN, **body}
    answer = await client.post("/nutzerkonto/eid/sessions", json=request, headers=bearer(token))
    assert answer.status_code == 201, answer.text
    return answer.json()


def page_path(created: dict[str, Any]) -> str:
    return urlsplit(created["LoginURL"]).path


async def read_card(client: httpx.AsyncClient, created: dict[str, Any], identity: str = "erika-mustermann",
                    method: str = "eID") -> httpx.Response:
    return await client.post(page_path(created), data={"identity": identity, "method": method, "action": "login"})


async def result(client: httpx.AsyncClient, token: str, session_id: str) -> httpx.Response:
    return await client.get(f"/nutzerkonto/eid/sessions/{session_id}/result", headers=bearer(token))


async def test_a_card_read_from_start_to_result(client: httpx.AsyncClient) -> None:
    token = await eid_client_token(client, "stadt-koblenz-parkausweis", "Stadt Koblenz: Bewohnerparkausweis")
    created = await start(client, token)
    session_id = created["Session"]["ID"]
    assert created["Result"] == {"ResultMajor": MAJOR_OK}
    assert created["LoginURL"].startswith("http://127.0.0.1:8000/nutzerkonto/login/")

    back = await read_card(client, created)
    assert back.status_code == 303
    location = urlsplit(back.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "dienst.example", "/eid/fertig")
    assert parse_qs(location.query) == {"vorgang": ["42"], "session_id": [session_id], "ResultMajor": ["ok"]}

    answer = await result(client, token, session_id)
    assert answer.status_code == 200
    data = answer.json()
    assert data["Session"] == {"ID": session_id}
    assert data["Result"] == {"ResultMajor": MAJOR_OK}
    personal = data["PersonalData"]
    assert personal["GivenNames"] == "ERIKA" and personal["FamilyNames"] == "MUSTERMANN"
    assert personal["BirthName"] == "GABLER"
    assert personal["DateOfBirth"] == {"DateString": "19640812", "DateValue": "1964-08-12"}
    assert personal["PlaceOfResidence"] == {"StructuredPlace": {"Street": "HEIDESTRASSE 17", "City": "KÖLN",
                                                                "ZipCode": "51147", "Country": "D"}}
    assert len(personal["RestrictedID"]["ID"]) == 64
    assert set(personal) == {"GivenNames", "FamilyNames", "BirthName", "DateOfBirth", "PlaceOfResidence",
                             "RestrictedID"}
    assert data["FulfilsAgeVerification"] == {"FulfilsRequest": True}
    assert data["LevelOfAssurance"] == "http://bsi.bund.de/eID/LoA/hoch"
    assert data["OperationsAllowedByUser"] == dict.fromkeys(OPERATIONS, "ALLOWED")

    again = await result(client, token, session_id)
    assert again.status_code == 410
    assert again.json()["type"] == "urn:basisdienste:problem:eid-result-fetched"


async def test_concurrent_fetches_deliver_the_data_once(client: httpx.AsyncClient, suite: Gateway) -> None:
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    created = await start(client, token)
    await read_card(client, created)
    runtime = nutzerkonto(suite).state.runtime
    # SQLite runs transactions one after the other (BEGIN IMMEDIATE), so there both cannot have read first.
    both_read = None if runtime.db.target.is_sqlite else asyncio.Barrier(2)

    async def fetch() -> str:
        # Two requests that both have read the finished session before either marks it fetched.
        async with runtime.db.sessionmaker() as session:
            await session.get(EidSession, created["Session"]["ID"])
            if both_read is not None:
                await both_read.wait()
            try:
                await service.fetch_result(session, session_id=created["Session"]["ID"],
                                           client_id="stadt-koblenz-parkausweis", now=runtime.clock.now())
            except Problem as problem:
                await session.rollback()
                return str(problem.status)
            await session.commit()
            return "data"

    assert sorted(await asyncio.gather(fetch(), fetch())) == ["410", "data"]


async def test_the_page_reads_only_the_online_ausweis_and_shows_the_card(client: httpx.AsyncClient) -> None:
    token = await eid_client_token(client, "stadt-koblenz-parkausweis", "Stadt Koblenz: Bewohnerparkausweis")
    created = await start(client, token)
    document = page((await client.get(page_path(created))).text)
    # The service is named as registered, as AusweisApp names it from the authorisation certificate.
    assert text_of(document.xpath("//h1")[0]) == "Anmelden bei Stadt Koblenz: Bewohnerparkausweis"
    assert "Verlangtes Vertrauensniveau: hoch (STORK-QAA-Level-4)" in text_of(document)
    assert sorted(r.get("value") for r in document.xpath("//input[@name='method'][not(@disabled)]")) == ["eID"]
    card = document.xpath("//input[@id='identitaet-erika-mustermann']/../details")[0]
    assert card.get("open") is not None  # the chosen card's data is shown at once, as AusweisApp does
    rows = dict(zip([text_of(t) for t in card.xpath(".//dt")], [text_of(d) for d in card.xpath(".//dd")],
                    strict=True))
    assert rows["Altersbestätigung"] == "mindestens 18 Jahre alt: ja"
    assert rows["Pseudonym"] == "ein Kennzeichen nur für diesen Dienst"
    assert rows["Geburtsname"] == "GABLER"
    requested = [text_of(li) for li in document.xpath("//section//li")]
    assert requested == ["Vorname(n)", "Familienname", "Geburtsdatum", "Geburtsname (freiwillig)",
                         "Anschrift (freiwillig)", "Pseudonym", "Altersbestätigung (mindestens 18 Jahre)"]


async def test_other_methods_and_cardless_identities_cannot_finish(client: httpx.AsyncClient,
                                                                   suite: Gateway) -> None:
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    created = await start(client, token)
    for identity, method in (("erika-mustermann", "Elster"), ("elodie-martin", "eIDAS"),
                             ("musterbau-gmbh", "Elster"), ("erika-mustermann", "Benutzername")):
        refused = await read_card(client, created, identity, method)
        assert refused.status_code == 422, (identity, method)
    pending = await result(client, token, created["Session"]["ID"])
    assert pending.status_code == 409
    assert pending.json()["ResultMinor"].endswith("getResult#noResultYet")


async def test_a_control_made_identity_without_a_card_is_refused(client: httpx.AsyncClient,
                                                                  suite: Gateway) -> None:
    made = await client.post("/_emulator/nutzerkonto/identities", json={
        "id": "ohne-ausweis", "display_name": "Ohne Ausweis", "username": "ohne", "methods": ["eID"],
        "attributes": {"givenName": "Ohne", "surname": "Ausweis"}})
    assert made.status_code == 201
    created = await start(client, mint_access_token(suite, client_id="stadt-koblenz-parkausweis"))
    refused = await read_card(client, created, "ohne-ausweis")
    assert refused.status_code == 422
    assert "Ohne Ausweis hat keinen Testausweis" in refused.text


async def test_cancel_returns_the_cancel_result(client: httpx.AsyncClient, suite: Gateway) -> None:
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    created = await start(client, token)
    back = await client.post(page_path(created), data={"action": "cancel"})
    assert back.status_code == 303
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["ResultMajor"] == ["error"] and query["ResultMinor"] == ["cancellationByUser"]
    data = (await result(client, token, created["Session"]["ID"])).json()
    assert data["Result"]["ResultMajor"] == MAJOR_ERROR
    assert data["Result"]["ResultMinor"] == "http://www.bsi.bund.de/ecard/api/1.1/resultminor/sal#cancellationByUser"
    assert "PersonalData" not in data


async def test_a_forced_technical_error_reaches_the_service(client: httpx.AsyncClient, suite: Gateway) -> None:
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    created = await start(client, token)
    assert (await client.post("/_emulator/nutzerkonto/next-login", json={"outcome": "error"})).status_code == 201
    back = await read_card(client, created)
    assert parse_qs(urlsplit(back.headers["location"]).query)["ResultMinor"] == ["serverError"]
    data = (await result(client, token, created["Session"]["ID"])).json()
    assert data["Result"]["ResultMinor"].endswith("#internalError")


async def test_only_the_client_that_started_a_session_sees_it(client: httpx.AsyncClient) -> None:
    owner = await eid_client_token(client, "stadt-koblenz-parkausweis", "Stadt Koblenz: Bewohnerparkausweis")
    created = await start(client, owner)
    await read_card(client, created)
    other = await eid_client_token(client, "stadt-mainz-hundesteuer", "Stadt Mainz: Hundesteuer")
    stranger = await result(client, other, created["Session"]["ID"])
    assert stranger.status_code == 404
    assert (await result(client, owner, "erfunden")).status_code == 404
    assert (await result(client, owner, created["Session"]["ID"])).status_code == 200  # not used up by the stranger


async def test_age_and_place_verification(client: httpx.AsyncClient, suite: Gateway) -> None:
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    # Lena (born 2011) lives in Koblenz (AGS 07111000); Erika in Köln (05315000).
    operations = {"AgeVerification": "REQUIRED", "PlaceVerification": "REQUIRED"}
    verdicts = {}
    for identity in ("lena-mustermann", "erika-mustermann"):
        created = await start(client, token, UseOperations=operations,
                              PlaceVerificationRequest={"CommunityID": "0276071"})
        await read_card(client, created, identity)
        data = (await result(client, token, created["Session"]["ID"])).json()
        assert data["PersonalData"] == {}
        verdicts[identity] = (data["FulfilsAgeVerification"]["FulfilsRequest"],
                              data["FulfilsPlaceVerification"]["FulfilsRequest"])
    assert verdicts == {"lena-mustermann": (False, True), "erika-mustermann": (True, False)}


async def test_a_typed_in_person_gets_a_readable_test_card(client: httpx.AsyncClient, suite: Gateway) -> None:
    token = mint_access_token(suite, client_id="stadt-mainz-hundesteuer")
    created = await start(client, token, UseOperations={"GivenNames": "REQUIRED", "DateOfBirth": "REQUIRED",
                                                        "PlaceVerification": "REQUIRED"},
                          AgeVerificationRequest=None, PlaceVerificationRequest={"CommunityID": "027607315"})
    back = await client.post(page_path(created), data={
        "identity": "_new", "method": "eID", "action": "login", "new_given_name": "Jürgen",
        "new_surname": "Beispiel", "new_birthdate": "1990-10-03", "new_street": "Rheinstraße 5",
        "new_postal_code": "55116", "new_locality": "Mainz"})
    assert back.status_code == 303
    data = (await result(client, token, created["Session"]["ID"])).json()
    assert data["PersonalData"] == {"GivenNames": "JÜRGEN",
                                    "DateOfBirth": {"DateString": "19901003", "DateValue": "1990-10-03"}}
    assert data["FulfilsPlaceVerification"] == {"FulfilsRequest": True}  # Mainz is AGS 07315000


async def test_the_pseudonym_is_stable_per_card_and_service(client: httpx.AsyncClient, suite: Gateway) -> None:
    async def pseudonym(client_id: str, identity: str) -> str:
        token = mint_access_token(suite, client_id=client_id)
        created = await start(client, token, UseOperations={"RestrictedID": "REQUIRED"},
                              AgeVerificationRequest=None)
        await read_card(client, created, identity)
        return str((await result(client, token, created["Session"]["ID"])).json()["PersonalData"]["RestrictedID"]["ID"])

    first = await pseudonym("stadt-koblenz-parkausweis", "erika-mustermann")
    assert await pseudonym("stadt-koblenz-parkausweis", "erika-mustermann") == first
    assert await pseudonym("stadt-mainz-hundesteuer", "erika-mustermann") != first
    assert await pseudonym("stadt-koblenz-parkausweis", "max-mustermann") != first


async def test_an_unfinished_session_expires_with_its_login(client: httpx.AsyncClient, suite: Gateway) -> None:
    created = await start(client, mint_access_token(suite, client_id="stadt-koblenz-parkausweis"))
    await client.post("/_emulator/clock", json={"advance": "PT16M"})
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    expired = await result(client, token, created["Session"]["ID"])
    assert expired.status_code == 410
    assert expired.json()["type"] == "urn:basisdienste:problem:eid-session-expired"
    assert (await client.get(page_path(created))).status_code == 410


async def test_callers_need_a_valid_token_with_scope_eid(client: httpx.AsyncClient, suite: Gateway) -> None:
    body = {"UseOperations": {"GivenNames": "REQUIRED"}, "RefreshAddress": RETURN}
    missing = await client.post("/nutzerkonto/eid/sessions", json=body)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong_scope = await client.post("/nutzerkonto/eid/sessions", json=body, headers=bearer(
        mint_access_token(suite, client_id="demo-fachverfahren", scope="postfach")))
    assert wrong_scope.status_code == 403 and 'error="insufficient_scope"' in wrong_scope.headers["www-authenticate"]
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = await client.post("/nutzerkonto/eid/sessions", json=body, headers=bearer(
        mint_access_token(suite, client_id="stadt-koblenz-parkausweis", key=stranger_key)))
    assert forged.status_code == 401
    other_audience = await client.post("/nutzerkonto/eid/sessions", json=body, headers=bearer(
        mint_access_token(suite, client_id="stadt-koblenz-parkausweis", audience="postfach")))
    assert other_audience.status_code == 401
    expired = await client.post("/nutzerkonto/eid/sessions", json=body, headers=bearer(
        mint_access_token(suite, client_id="stadt-koblenz-parkausweis", lifetime=-120)))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


async def test_malformed_requests_are_422_problems(client: httpx.AsyncClient, suite: Gateway) -> None:
    token = mint_access_token(suite, client_id="stadt-koblenz-parkausweis")
    for body in (
        {"UseOperations": {}, "RefreshAddress": RETURN},
        {"UseOperations": {"GivenNames": "PROHIBITED"}, "RefreshAddress": RETURN},
        {"UseOperations": {"AgeVerification": "REQUIRED"}, "RefreshAddress": RETURN},
        {"UseOperations": {"GivenNames": "REQUIRED"}, "AgeVerificationRequest": {"Age": 18}, "RefreshAddress": RETURN},
        {"UseOperations": {"Fingerprint": "REQUIRED"}, "RefreshAddress": RETURN},
        {"UseOperations": {"GivenNames": "MAYBE"}, "RefreshAddress": RETURN},
        {"UseOperations": {"GivenNames": "REQUIRED"}, "RefreshAddress": "javascript:alert(1)"},
        {"UseOperations": {"GivenNames": "REQUIRED"}, "RefreshAddress": "/relative"},
        {"UseOperations": {"PlaceVerification": "REQUIRED"}, "PlaceVerificationRequest": {"CommunityID": "Köln"},
         "RefreshAddress": RETURN},
    ):
        answer = await client.post("/nutzerkonto/eid/sessions", json=body, headers=bearer(token))
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
