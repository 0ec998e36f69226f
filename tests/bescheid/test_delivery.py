"""End to end: a Fachverfahren issues a Bescheid, the citizen logs in (OIDC code flow, scope bundid) and finds it
in the Postfach with the sealed PDF attached and a Bekanntgabe date; the Bescheid shows the retrieval and, once
the date has come by the clock, that it is bekanntgegeben. Also: a Postfach that is down delays, not loses."""

import asyncio

import httpx
import pytest

from tests.bescheid.tools import auth, notice, postkorb_handle
from tests.nutzerkonto.oidc_tools import SPA, SPA_CALLBACK, authorize_url, login, pkce_pair, query

pytestmark = pytest.mark.asyncio(loop_scope="package")
API = "/bescheid/api/v1"
ERIKA = postkorb_handle("erika-mustermann")


async def citizen_token(client: httpx.AsyncClient, identity: str = "erika-mustermann") -> str:
    verifier, challenge = pkce_pair()
    url = authorize_url(SPA, redirect_uri=SPA_CALLBACK, scope="openid bundid", challenge=challenge,
                        resource="postfach", acr_values="STORK-QAA-Level-4")
    back = await login(client, url, identity=identity, method="eID")
    answer = await client.post("/nutzerkonto/token", data={
        "grant_type": "authorization_code", "code": query(back)["code"], "redirect_uri": SPA_CALLBACK,
        "client_id": SPA, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


async def test_the_citizen_reads_the_bescheid_in_the_postfach_with_a_bekanntgabe_date(
        client: httpx.AsyncClient) -> None:
    assert (await client.post("/_emulator/clock", json={"freeze": "2026-11-20T09:00:00+01:00"})).status_code == 200
    headers = await auth(client)
    created = await client.post(f"{API}/bescheide", json=notice(date="2026-11-20"), headers=headers)
    assert created.status_code == 201, created.text
    bescheid = created.json()
    delivery = bescheid["delivery"]
    assert delivery["status"] == "delivered" and delivery["messageId"]
    assert delivery["bekanntgabe"]["status"] == "pending"
    assert delivery["bekanntgabe"]["date"] >= "2026-11-23"  # § 9 OZG: the third day after provision

    citizen = {"Authorization": f"Bearer {await citizen_token(client)}"}
    inbox = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages", headers=citizen)
    assert inbox.status_code == 200, inbox.text
    listed = [m for m in inbox.json()["messages"] if m["messageId"] == delivery["messageId"]]
    assert listed and listed[0]["sender"] == "Stadt Koblenz"
    assert bescheid["number"] in listed[0]["title"]
    assert listed[0]["bekanntgabe"]["date"] == delivery["bekanntgabe"]["date"]
    message = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{delivery['messageId']}",
                               headers=citizen)
    assert message.status_code == 200, message.text
    [attachment] = message.json()["attachments"]
    assert attachment["filename"] == f"Bescheid-{bescheid['number']}.pdf"
    download = await client.get(f"/postfach/api/v6/mailboxes/{ERIKA}/messages/{delivery['messageId']}/attachments/"
                                f"{attachment['attachmentId']}", headers=citizen)
    sealed = await client.get(f"{API}/bescheide/{bescheid['id']}/pdf", headers=headers)
    assert download.content == sealed.content

    seen = (await client.get(f"{API}/bescheide/{bescheid['id']}", headers=headers)).json()["delivery"]
    assert seen["retrievedAt"] is not None
    await client.post("/_emulator/clock", json={"advance": "P4D"})
    headers = await auth(client)  # the old token expired meanwhile
    later_answer = await client.get(f"{API}/bescheide/{bescheid['id']}", headers=headers)
    assert later_answer.status_code == 200, later_answer.text
    later = later_answer.json()["delivery"]
    assert later["bekanntgabe"]["status"] == "bekanntgegeben"
    assert later["bekanntgabe"]["date"] == delivery["bekanntgabe"]["date"]


async def test_a_bescheid_issued_while_the_postfach_is_down_is_delivered_later(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    fault = await client.post("/_emulator/faults", json={"service": "postfach", "operation": "zbp_send_message",
                                                          "status": 503, "times": 1})
    assert fault.status_code == 201, fault.text
    created = await client.post(f"{API}/bescheide", json=notice(), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["delivery"]["status"] == "pending"
    for _ in range(100):
        current = (await client.get(f"{API}/bescheide/{created.json()['id']}", headers=headers)).json()
        if current["delivery"]["status"] == "delivered":
            break
        await client.post("/_emulator/clock", json={"advance": "PT30S"})  # past the outbox's backoff
        headers = await auth(client)
        await asyncio.sleep(0.1)
    assert current["delivery"]["status"] == "delivered", current
    assert current["delivery"]["messageId"]
