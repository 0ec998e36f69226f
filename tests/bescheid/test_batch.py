"""Mass notices: a batch job answers 202 at once, issues its items in the background with progress, and reports
each item's outcome; a bad item fails alone."""

import asyncio

import httpx
import pytest

from tests.bescheid.tools import auth, notice, postkorb_handle

pytestmark = pytest.mark.asyncio(loop_scope="package")
API = "/bescheid/api/v1"


async def test_a_batch_issues_every_item_and_reports_each(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    people = ["erika-mustermann", "max-mustermann", "lena-mustermann", "musterbau-gmbh"]
    items = [notice(template="stadt-koblenz/hundesteuer", aktenzeichen=f"HST-2026-{n:04d}", padesLevel="B-T",
                    addressee={"postkorbHandle": postkorb_handle(people[n % len(people)]), "name": f"Halter {n}"},
                    fields={"hund": f"Hund {n}", "steuermarke": f"{n:04d}", "zeitraum": "2027"})
             for n in range(12)]
    items[5]["addressee"]["postkorbHandle"] = "5b7a1e0c-9d7b-4d8e-8f3a-000000000000"  # no such mailbox
    started = await client.post(f"{API}/batches", json={"items": items}, headers=headers)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["total"] == 12 and job["status"] in ("queued", "running")
    location = started.headers["location"]
    assert location.endswith(f"/api/v1/batches/{job['id']}")
    seen_progress = set()
    for _ in range(600):
        job = (await client.get(f"{API}/batches/{job['id']}", headers=headers)).json()
        seen_progress.add(job["done"])
        if job["status"] == "completed":
            break
        await asyncio.sleep(0.1)
    assert job["status"] == "completed", job
    assert len(seen_progress) > 2  # progress was visible on the way
    assert (job["done"], job["succeeded"], job["failed"]) == (12, 11, 1)
    failed = [r for r in job["results"] if r["status"] == "failed"]
    assert failed[0]["index"] == 5 and failed[0]["problem"]["type"].endswith("unknown-addressee")
    numbers = [r["number"] for r in job["results"] if r["status"] == "created"]
    assert numbers == [f"KO-2026-{n:06d}" for n in range(1, 12)]  # no gap where item 5 failed
    listed = await client.get(f"{API}/bescheide", params={"limit": 100}, headers=headers)
    assert len(listed.json()) == 11
    assert all(b["batchId"] == job["id"] and b["delivery"]["status"] == "delivered" for b in listed.json())


async def test_a_batch_with_an_invalid_item_is_refused_whole(client: httpx.AsyncClient) -> None:
    headers = await auth(client)
    items = [notice(), {**notice(), "rechtsbehelfsbelehrung": ""}]
    refused = await client.post(f"{API}/batches", json={"items": items}, headers=headers)
    assert refused.status_code == 422
    assert "/items/1/rechtsbehelfsbelehrung" in [e["pointer"] for e in refused.json()["errors"]]
    assert (await client.get(f"{API}/bescheide", headers=headers)).json() == []
