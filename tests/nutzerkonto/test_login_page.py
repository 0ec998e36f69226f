"""The login page as a citizen and a screen reader meet it: German, the asking service and the level in words,
identities grouped, methods with their levels, the test card's data, and German error pages for dead logins."""

import httpx

from gateway.app import Gateway
from services.nutzerkonto.trust import Level
from tests.nutzerkonto.login_tools import label_for, page, record_logins, start_login, text_of


async def test_page_names_the_service_the_level_and_the_requested_data(client: httpx.AsyncClient,
                                                                       suite: Gateway) -> None:
    login_id = await start_login(suite, min_level=Level.STORK_3, requested=("givenName", "surname", "mail"))
    answer = await client.get(f"/nutzerkonto/login/{login_id}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    document = page(answer.text)
    assert document.get("lang") == "de"
    assert text_of(document.xpath("//h1")[0]) == "Anmelden bei Stadt Koblenz: Bewohnerparkausweis"
    service = text_of(document.xpath("//section[@class='service']")[0])
    assert "Verlangtes Vertrauensniveau: substantiell (STORK-QAA-Level-3)" in service
    assert [text_of(li) for li in document.xpath("//section//li")] == ["Vorname(n)", "Familienname",
                                                                      "E-Mail-Adresse"]
    assert document.xpath("//title")[0].text.startswith("Anmelden bei Stadt Koblenz")


async def test_identities_are_grouped_as_citizens_and_companies(client: httpx.AsyncClient, suite: Gateway) -> None:
    document = page((await client.get(f"/nutzerkonto/login/{await start_login(suite)}")).text)
    legends = {text_of(f.xpath("legend")[0]): f for f in document.xpath("//fieldset")}
    citizens = [r.get("value") for r in legends["Bürgerinnen und Bürger"].xpath(".//input[@name='identity']")]
    companies = [r.get("value")
                 for r in legends["Unternehmen (Mein Unternehmenskonto)"].xpath(".//input[@name='identity']")]
    assert citizens == ["erika-mustermann", "max-mustermann", "lena-mustermann", "elodie-martin"]
    assert companies == ["musterbau-gmbh"]
    assert label_for(document, "identitaet-erika-mustermann") == "Erika Mustermann"
    # Erika, the standard test card, is preselected; every radio has a label and a hint tied to it.
    assert document.xpath("//input[@name='identity'][@checked]")[0].get("value") == "erika-mustermann"
    for radio in document.xpath("//input[@type='radio']"):
        assert label_for(document, radio.get("id"))
        assert document.get_element_by_id(radio.get("aria-describedby").split()[0]) is not None


async def test_methods_show_their_level_and_whether_it_suffices(client: httpx.AsyncClient, suite: Gateway) -> None:
    document = page((await client.get(f"/nutzerkonto/login/{await start_login(suite, min_level=Level.STORK_3)}")).text)
    hints = {r.get("value"): text_of(document.get_element_by_id(r.get("aria-describedby")))
             for r in document.xpath("//input[@name='method']")}
    assert hints == {
        "eID": "Vertrauensniveau hoch (STORK-QAA-Level-4) reicht aus",
        "Elster": "Vertrauensniveau substantiell (STORK-QAA-Level-3) reicht aus",
        "eIDAS": "Vertrauensniveau hoch (STORK-QAA-Level-4) reicht aus",
        "Benutzername": "Vertrauensniveau normal (STORK-QAA-Level-1) reicht für diesen Dienst nicht aus",
    }
    # The weakest method that suffices is preselected: the one a citizen most likely has at hand.
    assert document.xpath("//input[@name='method'][@checked]")[0].get("value") == "Elster"
    assert label_for(document, "methode-eID") == "Online-Ausweis (eID)"


async def test_each_identity_says_which_methods_it_can_use(client: httpx.AsyncClient, suite: Gateway) -> None:
    document = page((await client.get(f"/nutzerkonto/login/{await start_login(suite, min_level=Level.STORK_3)}")).text)
    assert text_of(document.get_element_by_id("hinweis-elodie-martin")) == "Anmeldemethoden: EU-eID (eIDAS)"
    assert text_of(document.get_element_by_id("hinweis-lena-mustermann")) == (
        "Anmeldemethoden: Online-Ausweis (eID), Benutzername und Passwort")
    at_level_4 = page((await client.get(
        f"/nutzerkonto/login/{await start_login(suite, min_level=Level.STORK_4)}")).text)
    assert text_of(at_level_4.get_element_by_id("hinweis-musterbau-gmbh")) == (
        "Anmeldemethoden: ELSTER-Zertifikat; keine reicht für diesen Online-Dienst")


async def test_the_test_card_shows_what_would_be_transmitted(client: httpx.AsyncClient, suite: Gateway) -> None:
    login_id = await start_login(suite, requested=("givenName", "surname", "birthdate", "postalAddress", "mail"))
    document = page((await client.get(f"/nutzerkonto/login/{login_id}")).text)
    card = document.xpath("//input[@id='identitaet-erika-mustermann']/../details")[0]
    assert text_of(card.xpath("summary")[0]) == "Daten vom Testausweis, die der Dienst erhält"
    rows = dict(zip([text_of(t) for t in card.xpath(".//dt")], [text_of(d) for d in card.xpath(".//dd")],
                    strict=True))
    # Only what the card holds and the service asked for; the e-mail address is not on an ID card.
    assert rows == {"Vorname(n)": "ERIKA", "Familienname": "MUSTERMANN", "Geburtsdatum": "12.08.1964",
                    "Anschrift": "HEIDESTRASSE 17, 51147 KÖLN, D"}
    assert not document.xpath("//input[@id='identitaet-elodie-martin']/../details")  # no German card


async def test_the_page_loads_nothing_from_elsewhere_and_cannot_be_framed(client: httpx.AsyncClient,
                                                                          suite: Gateway) -> None:
    answer = await client.get(f"/nutzerkonto/login/{await start_login(suite)}")
    document = page(answer.text)
    assert not document.xpath("//script | //link | //img | //iframe")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    nonce = document.xpath("//style")[0].get("nonce")
    assert f"style-src 'nonce-{nonce}'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    # Posted back to its own URL, whatever prefix a gateway put in front (no action attribute).
    form = document.xpath("//form")[0]
    assert form.get("method") == "post" and form.get("action") is None
    buttons = [(b.get("value"), text_of(b)) for b in form.xpath(".//button")]
    assert buttons == [("login", "Anmelden"), ("cancel", "Abbrechen")]


async def test_unknown_login_is_a_german_404_page(client: httpx.AsyncClient) -> None:
    answer = await client.get("/nutzerkonto/login/gibt-es-nicht")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    document = page(answer.text)
    assert document.get("lang") == "de"
    assert text_of(document.xpath("//h1")[0]) == "Anmeldung nicht gefunden"
    assert "Diese Anmeldung ist unbekannt." in answer.text
    posted = await client.post("/nutzerkonto/login/gibt-es-nicht", data={"action": "login"})
    assert posted.status_code == 404 and "Anmeldung nicht gefunden" in posted.text


async def test_expired_login_is_a_410_page(client: httpx.AsyncClient, suite: Gateway) -> None:
    login_id = await start_login(suite)
    await client.post("/_emulator/clock", json={"advance": "PT16M"})
    answer = await client.get(f"/nutzerkonto/login/{login_id}")
    assert answer.status_code == 410
    assert text_of(page(answer.text).xpath("//h1")[0]) == "Anmeldung abgelaufen"
    assert "starten Sie die Anmeldung dort neu" in answer.text


async def test_finished_login_is_a_410_page(client: httpx.AsyncClient, suite: Gateway) -> None:
    login_id = await start_login(suite)
    record_logins(suite)
    await client.post(f"/nutzerkonto/login/{login_id}", data={"action": "cancel"})
    answer = await client.get(f"/nutzerkonto/login/{login_id}")
    assert answer.status_code == 410
    assert text_of(page(answer.text).xpath("//h1")[0]) == "Anmeldung bereits abgeschlossen"


async def test_clients_asking_for_json_get_the_problem(client: httpx.AsyncClient) -> None:
    answer = await client.get("/nutzerkonto/login/gibt-es-nicht", headers={"Accept": "application/json"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "urn:basisdienste:problem:login-unknown"
