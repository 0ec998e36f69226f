"""The plugin's actors against the suite over real HTTP, as a project that depends on basisdienste uses them:
each flow through the real pages and APIs, checked by what the suite then holds."""

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from harness.actors import (
    Mailbox,
    OnlineService,
    Person,
    Sender,
    ServiceProvider,
    Subscriber,
    oidc_login,
    pay,
    post_invoice,
    postfach_login,
    saml_login,
    supplier_login,
)
from harness.actors.browser import PageError
from harness.suite import Suite

KOBLENZ_ARS = "071110000000"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "xrechnung"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/testdata/xrechnung")


@pytest.mark.parametrize(("level", "method"), [(1, "Benutzername"), (3, "Elster"), (4, "eID")])
def test_oidc_login_reaches_the_asked_level(basisdienste_http: httpx.Client, level: int, method: str) -> None:
    tokens = oidc_login(basisdienste_http, identity="max-mustermann", level=level)
    assert tokens.id_claims["acr"] == f"STORK-QAA-Level-{level}"
    userinfo = basisdienste_http.get("/nutzerkonto/userinfo", headers=tokens.bearer)
    assert userinfo.status_code == 200 and userinfo.json()["given_name"] == "Max"


def test_oidc_login_as_a_person_typed_in(basisdienste: Suite, basisdienste_http: httpx.Client) -> None:
    person = Person("Jana", "Beispiel", dt.date(1990, 5, 17))
    tokens = oidc_login(basisdienste_http, identity=person, level=4)
    assert tokens.id_claims["acr"] == "STORK-QAA-Level-4"
    identities = basisdienste.controls.get("/_emulator/nutzerkonto/identities")
    assert any(i["attributes"].get("givenName") == "Jana" for i in identities)


def test_a_level_the_person_cannot_reach_is_a_clear_error(basisdienste_http: httpx.Client) -> None:
    # The page's own German message comes with the error.
    with pytest.raises(PageError, match="nur mit „ELSTER-Zertifikat“"):
        oidc_login(basisdienste_http, identity="musterbau-gmbh", level=4)


def test_saml_login_answers_a_signed_assertion(basisdienste_http: httpx.Client) -> None:
    sp = ServiceProvider("https://antrag.example/sp", "https://antrag.example/acs").register(basisdienste_http)
    answer = saml_login(basisdienste_http, sp, identity="erika-mustermann", level=3, relay_state="r-1")
    assert answer.status == "urn:oasis:names:tc:SAML:2.0:status:Success"
    assert answer.acs_url == "https://antrag.example/acs" and answer.relay_state == "r-1"
    assert answer.attributes  # givenName, surname... under their OIDs
    # python3-saml checks the IdP's signature over the assertion, independently of the actor.
    idp = OneLogin_Saml2_IdPMetadataParser.parse(basisdienste_http.get("/nutzerkonto/saml/metadata").text)["idp"]
    certificate = idp.get("x509cert") or idp["x509certMulti"]["signing"][0]
    for signed in (OneLogin_Saml2_Utils.RESPONSE_SIGNATURE_XPATH,
                   OneLogin_Saml2_Utils.ASSERTION_SIGNATURE_XPATH):
        assert OneLogin_Saml2_Utils.validate_sign(answer.xml, OneLogin_Saml2_Utils.format_cert(certificate),
                                                  xpath=signed, raise_exceptions=True)


def test_a_card_payment_through_the_hosted_checkout(basisdienste: Suite, basisdienste_http: httpx.Client) -> None:
    service = OnlineService.seeded(basisdienste.controls.seed(), "bewohnerparkausweis", KOBLENZ_ARS)
    created = service.create(basisdienste_http, "30.70", purpose="Bewohnerparkausweis")
    info = created["paymentInformation"]
    back = pay(basisdienste_http, info["transactionRedirectUrl"])
    assert back["status"] == "PAYED"
    status = service.status(basisdienste_http, info["transactionId"])["paymentInformation"]
    assert status["status"] == "PAYED" and status["paymentMethod"] == "CREDITCARD"


@pytest.mark.parametrize(("method", "card", "status"), [("creditcard", "4000000000000002", "FAILED"),
                                                        ("creditcard", "4000002500003155", "PAYED"),
                                                        ("sepa", "", "PAYED"), ("paypal", "", "PAYED")])
def test_other_methods_and_cards(basisdienste: Suite, basisdienste_http: httpx.Client, method: str, card: str,
                                 status: str) -> None:
    service = OnlineService.seeded(basisdienste.controls.seed(), "bewohnerparkausweis", KOBLENZ_ARS)
    info = service.create(basisdienste_http, "12.00")["paymentInformation"]
    back = pay(basisdienste_http, info["transactionRedirectUrl"], method=method, **({"card": card} if card else {}))
    assert back["status"] == status


def test_a_notice_arrives_in_the_postfach(basisdienste: Suite, basisdienste_http: httpx.Client, wait_for) -> None:
    erika = Mailbox(basisdienste_http, postfach_login(basisdienste_http, "erika-mustermann", level=4))
    token = basisdienste_http.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                                   data={"grant_type": "client_credentials", "resource": "bescheid"}).json()
    issued = basisdienste_http.post("/bescheid/api/v1/bescheide", headers={
        "Authorization": f"Bearer {token['access_token']}"}, json={
        "authority": "stadt-koblenz", "template": "stadt-koblenz/bewohnerparkausweis", "aktenzeichen": "32-2026-17",
        "addressee": {"postkorbHandle": erika.uuid, "name": "Erika Mustermann", "address": ["Heidestraße 17",
                                                                                            "56068 Koblenz"]},
        "tenor": "Der Bewohnerparkausweis wird erteilt.", "begruendung": "Die Voraussetzungen liegen vor.",
        "rechtsbehelfsbelehrung": "Gegen diesen Bescheid kann innerhalb eines Monats Widerspruch erhoben werden.",
        "fees": [{"description": "Gebühr", "amount": "30.70"}]})
    assert issued.status_code == 201, issued.text
    [message] = wait_for(erika.messages, message="the notice in Erika's Postfach")
    read = erika.read(message["messageId"])
    assert read["retrievedAt"] is not None
    [attachment] = read["attachments"]
    assert erika.attachment(message["messageId"], attachment["attachmentId"]).startswith(b"%PDF")


def test_a_submission_from_sender_to_subscriber(basisdienste: Suite, basisdienste_http: httpx.Client) -> None:
    seed = basisdienste.controls.seed("postfach")["fitconnect"]
    koblenz = next(d for d in seed["destinations"] if d["ars"] == KOBLENZ_ARS)
    client = next(c for c in seed["clients"] if koblenz["destinationId"] in c["destinations"])
    sender = Sender.seeded(basisdienste_http)
    created = sender.submit(koblenz["destinationId"], {"gewerbe": "Bäckerei"}, leika_key="99050012104000",
                            service_name="Gewerbeanmeldung", data_schema="https://schema.fitko.de/fim/s00000096_1.0"
                            ".schema.json", attachments={"Anlage.pdf": b"%PDF-1.7 Anlage"})
    subscriber = Subscriber.seeded(basisdienste_http, client["client_id"], client["client_secret"],
                                   koblenz["destinationId"])
    assert created["submissionId"] in {s["submissionId"] for s in subscriber.pending()}
    received = subscriber.receive(created["submissionId"])
    assert received.json() == {"gewerbe": "Bäckerei"}
    assert list(received.attachments.values()) == [b"%PDF-1.7 Anlage"]
    subscriber.accept(received)
    assert "accept-submission" in sender.events(created["caseId"])


def test_an_invoice_from_a_supplier(basisdienste_http: httpx.Client) -> None:
    tokens = supplier_login(basisdienste_http)
    xml = (CORPUS / "business-cases/standard/01.01a-INVOICE_ubl.xml").read_bytes()
    # Addressed to the seeded Leitweg-ID of Stadt Koblenz (BT-10).
    xml = re.sub(rb"<cbc:BuyerReference>[^<]*</cbc:BuyerReference>",
                 b"<cbc:BuyerReference>071110000000-0001-33</cbc:BuyerReference>", xml, count=1)
    receipt = post_invoice(basisdienste_http, tokens, xml)
    assert receipt["id"]


def test_actors_stamp_with_the_suites_clock(basisdienste: Suite, basisdienste_http: httpx.Client) -> None:
    """With the suite's clock frozen weeks back, what the actors send carries that time: the IdP and the
    Submission API judge IssueInstant and iat against their own clock."""
    basisdienste.controls.clock.freeze(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC))
    sp = ServiceProvider("https://antrag.example/sp-frozen", "https://antrag.example/acs").register(basisdienste_http)
    assert saml_login(basisdienste_http, sp, level=1).status == "urn:oasis:names:tc:SAML:2.0:status:Success"
    seed = basisdienste.controls.seed("postfach")["fitconnect"]
    koblenz = next(d for d in seed["destinations"] if d["ars"] == KOBLENZ_ARS)
    client = next(c for c in seed["clients"] if koblenz["destinationId"] in c["destinations"])
    sender = Sender.seeded(basisdienste_http)
    created = sender.submit(koblenz["destinationId"], {"gewerbe": "Café"}, leika_key="99050012104000",
                            service_name="Gewerbeanmeldung",
                            data_schema="https://schema.fitko.de/fim/s00000096_1.0.schema.json")
    subscriber = Subscriber.seeded(basisdienste_http, client["client_id"], client["client_secret"],
                                   koblenz["destinationId"])
    subscriber.accept(subscriber.receive(created["submissionId"]))
    assert "accept-submission" in sender.events(created["caseId"])
