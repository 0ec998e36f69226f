"""What the login form does: logs in, refuses below the requested level with a way out (step-up), explains what
an identity cannot do, cancels, and creates typed-in test persons. Every refusal keeps the login pending and
gives the protocol nothing to answer."""

import httpx

from gateway.app import Gateway
from services.nutzerkonto.trust import Level
from tests.nutzerkonto.login_tools import login_status, page, record_logins, start_login, text_of


def login_form(identity: str, method: str, **extra: str) -> dict[str, str]:
    return {"identity": identity, "method": method, "action": "login", **extra}


async def test_a_sufficient_method_logs_in(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite, min_level=Level.STORK_3)
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("erika-mustermann", "Elster"))
    assert answer.status_code == 200
    assert finisher.calls == [{"outcome": "succeeded", "identity": "erika-mustermann", "method": "Elster",
                               "level": 3}]
    assert await login_status(suite, login_id) == "succeeded"


async def test_a_weaker_method_is_refused_and_stronger_ones_are_offered(client: httpx.AsyncClient,
                                                                        suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite, min_level=Level.STORK_3)
    answer = await client.post(f"/nutzerkonto/login/{login_id}",
                               data=login_form("erika-mustermann", "Benutzername"))
    assert answer.status_code == 422
    assert finisher.calls == [] and await login_status(suite, login_id) == "pending"
    document = page(answer.text)
    alert = document.xpath("//*[@role='alert']")[0]
    assert text_of(alert).startswith("Die Anmeldung ist so nicht möglich")
    assert ("Der Online-Dienst verlangt das Vertrauensniveau substantiell (STORK-QAA-Level-3). „Benutzername und "
            "Passwort“ erreicht nur normal (STORK-QAA-Level-1). Bitte wählen Sie „Online-Ausweis (eID)“ oder "
            "„ELSTER-Zertifikat“.") in text_of(alert)
    # The message sits in the method group, tied to it for screen readers; the summary links there.
    assert "fehler-method" in document.get_element_by_id("methoden").get("aria-describedby").split()
    assert alert.xpath(".//a")[0].get("href") == "#methoden"
    assert document.xpath("//title")[0].text.startswith("Fehler: ")
    # The page keeps the chosen identity and preselects the weakest method that suffices.
    assert document.xpath("//input[@name='identity'][@checked]")[0].get("value") == "erika-mustermann"
    assert document.xpath("//input[@name='method'][@checked]")[0].get("value") == "Elster"

    stepped_up = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("erika-mustermann", "eID"))
    assert stepped_up.status_code == 200
    assert finisher.calls == [{"outcome": "succeeded", "identity": "erika-mustermann", "method": "eID",
                               "level": 4}]


async def test_an_identity_without_a_strong_enough_method_is_told_to_choose_another(
        client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite, min_level=Level.STORK_4)
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("musterbau-gmbh", "Elster"))
    assert answer.status_code == 422 and finisher.calls == []
    assert ("„ELSTER-Zertifikat“ erreicht nur substantiell (STORK-QAA-Level-3). Musterbau GmbH (Unternehmenskonto) "
            "hat keine Anmeldemethode, die dafür reicht. Bitte wählen Sie eine andere Identität.") in answer.text


async def test_a_method_the_identity_lacks_is_explained(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite, min_level=Level.STORK_1)
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("elodie-martin", "eID"))
    assert answer.status_code == 422 and finisher.calls == []
    assert ("Élodie Martin (FR, eIDAS) kann sich nicht mit „Online-Ausweis (eID)“ anmelden, nur mit „EU-eID "
            "(eIDAS)“. Bitte wählen Sie „EU-eID (eIDAS)“.") in text_of(page(answer.text))
    eidas = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("elodie-martin", "eIDAS"))
    assert eidas.status_code == 200 and finisher.calls[-1]["method"] == "eIDAS"


async def test_methods_the_service_does_not_offer_are_disabled_and_refused(client: httpx.AsyncClient,
                                                                           suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite, protocol_state={"allowed_methods": ["eID", "Benutzername"]})
    document = page((await client.get(f"/nutzerkonto/login/{login_id}")).text)
    disabled = sorted(r.get("value") for r in document.xpath("//input[@name='method'][@disabled]"))
    assert disabled == ["Elster", "eIDAS"]
    assert "vom Dienst nicht angeboten" in text_of(document.get_element_by_id("stufe-Elster"))
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("max-mustermann", "Elster"))
    assert answer.status_code == 422 and finisher.calls == []
    assert "Der Online-Dienst bietet die Anmeldung mit „ELSTER-Zertifikat“ nicht an." in answer.text


async def test_missing_choices_are_named(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite)
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data={"action": "login"})
    assert answer.status_code == 422 and finisher.calls == []
    messages = [text_of(a) for a in page(answer.text).xpath("//*[@role='alert']//a")]
    assert messages == ["Bitte wählen Sie eine Identität.", "Bitte wählen Sie eine Anmeldemethode."]
    unknown = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("niemand", "Zauberstab"))
    assert unknown.status_code == 422 and finisher.calls == []


async def test_cancel_sends_the_cancel_answer(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite)
    # Abbrechen needs no choice: the form is sent as it is, radio buttons and all.
    answer = await client.post(f"/nutzerkonto/login/{login_id}",
                               data={"identity": "erika-mustermann", "method": "eID", "action": "cancel"})
    assert answer.json() == {"outcome": "cancelled"}
    assert finisher.calls == [{"outcome": "cancelled"}]
    assert await login_status(suite, login_id) == "cancelled"
    again = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("erika-mustermann", "eID"))
    assert again.status_code == 410 and len(finisher.calls) == 1


async def test_unknown_actions_change_nothing(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite)
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data={"action": "delete", "identity": "x"})
    assert answer.status_code == 400 and "Diese Aktion gibt es nicht" in answer.text
    assert finisher.calls == [] and await login_status(suite, login_id) == "pending"


NEW_PERSON = {"new_given_name": "Jürgen", "new_surname": "Müller-Lüdenscheidt", "new_birthdate": "03.10.1990",
              "new_street": "Rheinstraße 5", "new_postal_code": "55116", "new_locality": "Mainz"}


async def test_a_typed_in_person_is_created_and_logged_in(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite, min_level=Level.STORK_4)
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("_new", "eID", **NEW_PERSON))
    assert answer.status_code == 200
    created = finisher.calls[0]["identity"]
    assert created.startswith("juergen-mueller-luedenscheidt-")
    assert finisher.calls[0]["level"] == 4
    listed = {i["id"]: i for i in (await client.get("/_emulator/nutzerkonto/identities")).json()}
    person = listed[created]
    assert person["kind"] == "person" and person["seeded"] is False
    assert person["methods"] == ["Benutzername", "Elster", "eID", "eIDAS"]
    assert person["attributes"]["givenName"] == "Jürgen" and person["attributes"]["birthdate"] == "1990-10-03"
    assert person["attributes"]["postalCode"] == "55116" and person["attributes"]["bPK2"]
    assert person["card"]["FamilyNames"] == "MÜLLER-LÜDENSCHEIDT" and person["card"]["DateOfBirth"] == "19901003"
    # It is offered on later logins, marked as typed in.
    later = page((await client.get(f"/nutzerkonto/login/{await start_login(suite)}")).text)
    assert text_of(later.xpath(f"//label[@for='identitaet-{created}']")[0]) == (
        "Jürgen Müller-Lüdenscheidt (selbst angelegt)")


async def test_typed_in_data_is_checked_field_by_field(client: httpx.AsyncClient, suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite)
    bad = {**NEW_PERSON, "new_given_name": " ", "new_birthdate": "31.02.1990", "new_postal_code": "5511"}
    answer = await client.post(f"/nutzerkonto/login/{login_id}", data=login_form("_new", "eID", **bad))
    assert answer.status_code == 422 and finisher.calls == []
    document = page(answer.text)
    for name, message in (("new_given_name", "Bitte geben Sie einen Vornamen ein."),
                          ("new_birthdate", "Bitte geben Sie das Geburtsdatum als TT.MM.JJJJ ein"),
                          ("new_postal_code", "Die Postleitzahl hat fünf Ziffern")):
        field = document.get_element_by_id(name)
        assert field.get("aria-invalid") == "true"
        assert message in text_of(document.get_element_by_id(f"fehler-{name}"))
        assert f"fehler-{name}" in field.get("aria-describedby").split()
    assert document.get_element_by_id("new_surname").get("value") == "Müller-Lüdenscheidt"  # kept, not retyped
    assert document.get_element_by_id("new_street").get("aria-invalid") is None
    assert document.xpath("//input[@name='identity'][@checked]")[0].get("value") == "_new"
    future = await client.post(f"/nutzerkonto/login/{login_id}",
                               data=login_form("_new", "eID", **{**NEW_PERSON, "new_birthdate": "2999-01-01"}))
    assert "Das Geburtsdatum darf nicht in der Zukunft liegen." in future.text
    identities = (await client.get("/_emulator/nutzerkonto/identities")).json()
    assert all(i["seeded"] for i in identities)


async def test_a_typed_in_person_refused_for_its_method_is_not_created(client: httpx.AsyncClient,
                                                                       suite: Gateway) -> None:
    finisher = record_logins(suite)
    login_id = await start_login(suite, min_level=Level.STORK_3)
    answer = await client.post(f"/nutzerkonto/login/{login_id}",
                               data=login_form("_new", "Benutzername", **NEW_PERSON))
    assert answer.status_code == 422 and finisher.calls == []
    assert page(answer.text).get_element_by_id("new_locality").get("value") == "Mainz"
    assert all(i["seeded"] for i in (await client.get("/_emulator/nutzerkonto/identities")).json())
