"""Citizens read their own mailbox with the access token of their Nutzerkonto login (real code flow, scope bundid):
list, read, download, mark read, reply; a message above the session's trust level stays locked until step-up; another
person's mailbox, message or attachment answers 404 exactly like one that does not exist. Authorities read the
Behördenpostfächer they are allowed to read."""

import hashlib

import httpx
import pytest

from gateway.app import Gateway
from tests.nutzerkonto.oidc_tools import SPA, SPA_CALLBACK, authorize_url, login, pkce_pair, query
from tests.postfach.mailbox.tools import (
    ERIKA,
    KOBLENZ,
    MAINZ,
    MAX,
    bearer,
    citizen_token,
    delivered,
    service_token,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


async def test_erika_lists_reads_downloads_and_marks_read(suite: Gateway, client: httpx.AsyncClient) -> None:
    sent = await delivered(suite, attachments=[("Bescheid 2026.pdf", PDF, "application/pdf")], stork_qaa_level=3,
                           applicationId="3f1e5b8a-6c1d-4d7e-9a2b-1c2d3e4f5a6b", reference="AZ 32-2026-17")
    auth = bearer(await citizen_token(client, "erika-mustermann", level=4))
    own = await client.get("/postfach/api/v6/mailbox", headers=auth)
    assert own.status_code == 200 and own.json()["mailboxUuid"] == ERIKA and own.json()["sessionLevel"] == 4

    listing = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages", headers=auth)
    assert listing.status_code == 200, listing.text
    [item] = listing.json()["messages"]
    assert item["messageId"] == sent["messageId"] and item["locked"] is False and item["sender"] == "Stadt Koblenz"
    assert "content" not in item and item["retrievedAt"] is None
    [attachment] = item["attachments"]
    assert attachment["filename"] == "Bescheid 2026.pdf" and attachment["contentLength"] == len(PDF)

    message = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}", headers=auth)
    assert message.status_code == 200
    assert message.json()["content"].startswith("Sehr geehrte Frau Mustermann")
    assert message.json()["retrievedAt"] is not None and message.json()["reference"] == "AZ 32-2026-17"

    download = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}/attachments/"
                                f"{attachment['attachmentId']}", headers=auth)
    assert download.status_code == 200 and download.content == PDF
    assert hashlib.sha512(download.content).hexdigest() == attachment["sha512sum"]
    assert download.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Bescheid%202026.pdf" in download.headers["content-disposition"]

    read = await client.post(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}/read", headers=auth)
    assert read.status_code == 200 and read.json()["readAt"]

    sender_view = await client.get(f"/postfach/api/v6/messages/{sent['messageId']}",
                                   headers=bearer(await service_token(client, "bescheid")))
    assert sender_view.json()["retrievedAt"] == message.json()["retrievedAt"]


async def test_a_message_above_the_session_level_stays_locked_until_step_up(suite: Gateway,
                                                                            client: httpx.AsyncClient) -> None:
    sent = await delivered(suite, attachments=[("a.pdf", PDF, "application/pdf")], stork_qaa_level=3,
                           title="Steuerbescheid")
    weak = bearer(await citizen_token(client, "erika-mustermann", level=1))
    [item] = (await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages", headers=weak)).json()["messages"]
    assert item["locked"] is True and item["title"] == "Steuerbescheid"
    assert "sender" not in item and "attachments" not in item and "content" not in item

    refused = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}", headers=weak)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("step-up-required") and refused.json()["requiredLevel"] == 3
    assert refused.json()["acr_values"] == "STORK-QAA-Level-3"

    strong = bearer(await citizen_token(client, "erika-mustermann", level=3))
    message = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}", headers=strong)
    assert message.status_code == 200 and message.json()["locked"] is False
    attachment_id = message.json()["attachments"][0]["attachmentId"]
    still_refused = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{sent['messageId']}/attachments/"
                                     f"{attachment_id}", headers=weak)
    assert still_refused.status_code == 403


async def test_another_persons_ids_answer_404_like_unknown_ones(suite: Gateway, client: httpx.AsyncClient) -> None:
    erikas = await delivered(suite, attachments=[("geheim.pdf", PDF, "application/pdf")])
    maxs = await delivered(suite, MAX, attachments=[("max.pdf", b"%PDF max", "application/pdf")])
    erika = bearer(await citizen_token(client, "erika-mustermann"))
    detail = (await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{erikas['messageId']}",
                               headers=erika)).json()
    erikas_attachment = detail["attachments"][0]["attachmentId"]
    max_auth = bearer(await citizen_token(client, "max-mustermann"))
    max_detail = (await client.get(f"/postfach/api/v6/mailboxes/{MAX}/messages/{maxs['messageId']}",
                                   headers=max_auth)).json()
    base = "/postfach/api/v6/mailboxes"
    unknown = "4d1c6f0e-0000-4000-8000-000000000000"

    # Mailbox id: Erika's mailbox is as unknown to Max as an invented one.
    for mailbox in (ERIKA, unknown, KOBLENZ):
        answer = await client.get(f"{base}/{mailbox}/messages", headers=max_auth)
        assert answer.status_code == 404 and answer.json()["type"].endswith("mailbox-not-found"), mailbox
    # Message id: Erika's message under Max's own mailbox, and under hers.
    for path in (f"{base}/{MAX}/messages/{erikas['messageId']}", f"{base}/{MAX}/messages/{unknown}",
                 f"{base}/{ERIKA}/messages/{erikas['messageId']}"):
        for method in ("GET", "POST"):
            suffix = "" if method == "GET" else "/read"
            answer = await client.request(method, path + suffix, headers=max_auth)
            assert answer.status_code == 404, (path, method, answer.text)
    # Attachment id: Erika's attachment under Max's own message.
    for attachment in (erikas_attachment, unknown):
        answer = await client.get(f"{base}/{MAX}/messages/{maxs['messageId']}/attachments/{attachment}",
                                  headers=max_auth)
        assert answer.status_code == 404 and answer.json()["type"].endswith("attachment-not-found")
    assert max_detail["attachments"][0]["attachmentId"] != erikas_attachment
    # Nothing of Erika's was retrieved by Max's attempts.
    state = await client.get(f"/_emulator/postfach/messages/{erikas['messageId']}")
    assert state.json()["retrievedAt"] is not None  # by Erika above, once
    reply = await client.post(f"{base}/{ERIKA}/messages/{erikas['messageId']}/reply", headers=max_auth,
                              json={"content": "Hallo"})
    assert reply.status_code == 404


async def test_authorities_read_only_the_behoerdenpostfaecher_they_are_allowed(suite: Gateway,
                                                                              client: httpx.AsyncClient) -> None:
    sent = await delivered(suite, KOBLENZ, title="Weiterleitung", attachments=[("x.xml", b"<x/>", "application/xml")])
    await delivered(suite, MAINZ, title="Für Mainz")
    fachverfahren = bearer(await service_token(client, "demo-fachverfahren"))
    listing = await client.get(f"/postfach/api/v6/mailboxes/{KOBLENZ}/messages", headers=fachverfahren)
    assert listing.status_code == 200 and [m["title"] for m in listing.json()["messages"]] == ["Weiterleitung"]
    message = await client.get(f"/postfach/api/v6/mailboxes/{KOBLENZ}/messages/{sent['messageId']}",
                               headers=fachverfahren)
    assert message.status_code == 200 and message.json()["content"]
    assert (await client.get(f"/postfach/api/v6/mailboxes/{MAINZ}/messages", headers=fachverfahren)).status_code == 404
    other = bearer(await service_token(client, "rechnungseingang"))
    assert (await client.get(f"/postfach/api/v6/mailboxes/{KOBLENZ}/messages", headers=other)).status_code == 404

    # Who reads which Behördenpostfach is configurable at run time.
    granted = await client.put(f"/_emulator/postfach/mailboxes/{MAINZ}/readers", json={"readers": ["rechnungseingang"]})
    assert granted.status_code == 200
    assert (await client.get(f"/postfach/api/v6/mailboxes/{MAINZ}/messages", headers=other)).status_code == 200


async def test_replies_go_to_the_reply_address(suite: Gateway, client: httpx.AsyncClient) -> None:
    into_mailbox = await delivered(suite, replyAddress=KOBLENZ, title="Rückfrage zum Antrag")
    by_mail = await delivered(suite, replyAddress="buergeramt@koblenz.example", title="Bitte antworten")
    no_reply = await delivered(suite, title="Nur zur Kenntnis")
    erika = bearer(await citizen_token(client, "erika-mustermann"))
    base = f"/postfach/api/v6/mailboxes/{ERIKA}/messages"

    answer = await client.post(f"{base}/{into_mailbox['messageId']}/reply", headers=erika,
                               json={"content": "Die Unterlagen reiche ich nach."})
    assert answer.status_code == 201, answer.text
    assert answer.json()["channel"] == "mailbox"
    fachverfahren = bearer(await service_token(client, "demo-fachverfahren"))
    [reply] = (await client.get(f"/postfach/api/v6/mailboxes/{KOBLENZ}/messages",
                                headers=fachverfahren)).json()["messages"]
    assert reply["title"] == "AW: Rückfrage zum Antrag" and reply["inReplyTo"] == into_mailbox["messageId"]
    assert reply["sender"] == "Erika Mustermann"

    mailed = await client.post(f"{base}/{by_mail['messageId']}/reply", headers=erika,
                               json={"title": "Antwort", "content": "Hier meine Antwort."})
    assert mailed.status_code == 201 and mailed.json()["channel"] == "email"
    mails = (await client.get("/_emulator/postfach/mails", params={"to": "buergeramt@koblenz.example"})).json()
    assert [m["subject"] for m in mails] == ["Antwort"] and "Hier meine Antwort." in mails[0]["body"]

    refused = await client.post(f"{base}/{no_reply['messageId']}/reply", headers=erika, json={"content": "?"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("reply-not-possible")


async def test_a_token_without_postkorb_handle_or_for_another_audience_is_refused(suite: Gateway,
                                                                                 client: httpx.AsyncClient) -> None:
    no_token = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages")
    assert no_token.status_code == 401
    bezahl = await client.post("/nutzerkonto/token", data={"grant_type": "client_credentials",
                                                           "resource": "bezahlplattform"},
                               auth=("demo-fachverfahren", "demo-fachverfahren-secret"))
    wrong_audience = await client.get(f"/postfach/api/v6/mailboxes/{KOBLENZ}/messages",
                                      headers=bearer(bezahl.json()["access_token"]))
    assert wrong_audience.status_code == 401


async def test_a_login_without_scope_bundid_names_no_mailbox(suite: Gateway, client: httpx.AsyncClient) -> None:
    verifier, challenge = pkce_pair()
    back = await login(client, authorize_url(SPA, redirect_uri=SPA_CALLBACK, scope="openid profile",
                                             challenge=challenge, resource="postfach"))
    token = (await client.post("/nutzerkonto/token", data={
        "grant_type": "authorization_code", "code": query(back)["code"], "redirect_uri": SPA_CALLBACK,
        "client_id": SPA, "code_verifier": verifier})).json()["access_token"]
    answer = await client.get("/postfach/api/v6/mailbox", headers=bearer(token))
    assert answer.status_code == 403 and answer.json()["type"].endswith("no-postkorb-handle")
    assert (await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages", headers=bearer(token))).status_code == 403
