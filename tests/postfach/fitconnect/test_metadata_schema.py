"""The metadata schemas the service offers for subscribers (1.0.0 and 2.1.0), checked with jsonschema against
metadata as senders write it and as they get it wrong."""

import copy

import httpx
import jsonschema
import pytest

from tests.postfach.fitconnect.tools import metadata_for

# On the folder's shared suite, whose connections and background tasks live in the package's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="package")

SCHEMA = "/postfach/fitconnect/schema/metadata/{}/metadata.schema.json"


BREAKS = [
    lambda m: m["contentStructure"]["data"].pop("hash"),
    lambda m: m["contentStructure"]["data"]["hash"].update(content="ABC"),
    lambda m: m["contentStructure"]["attachments"][0].update(purpose="sonstiges"),
    lambda m: m.update(replyChannel={"eMail": {"address": "a@b.de"}, "deMail": {"address": "a@b.de"}}),
    lambda m: m.update(paymentInformation={"transactionReference": "R", "transactionId": "T",
                                           "paymentMethod": "BITCOIN", "status": "BOOKED"}),
    lambda m: m.pop("contentStructure"),
]


def errors(schema: dict, document: dict) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]


async def test_metadata_schemas(client: httpx.AsyncClient) -> None:
    v1 = (await client.get(SCHEMA.format("1.0.0"))).json()
    v2 = (await client.get(SCHEMA.format("2.1.0"))).json()
    jsonschema.Draft202012Validator.check_schema(v1)
    jsonschema.Draft202012Validator.check_schema(v2)
    assert (await client.get(SCHEMA.format("9.9.9"))).status_code == 404

    good = metadata_for(b"{}", {"6f1c8f4e-2b7a-4e3d-9a41-0c2d6b8e7f10": b"%PDF"},
                        paymentInformation={"transactionReference": "R-1", "transactionId": "T-1",
                                            "paymentMethod": "GIROPAY", "status": "BOOKED"},
                        replyChannel={"eMail": {"address": "erika@example.org"}})
    assert errors(v1, good) == [] and errors(v2, good) == []
    newer = {**good, "publicService": {"identifier": "urn:de:fim:leika:leistung:99050012104000",
                                       "name": "Gewerbeanmeldung"},
             "dataSets": [{"type": "identificationReport", "levelOfAssurance": "substantial"}]}
    assert errors(v2, newer) == []
    bad_assurance = copy.deepcopy(newer)
    bad_assurance["dataSets"][0]["levelOfAssurance"] = "sehr hoch"
    assert errors(v2, bad_assurance)
    for break_it in BREAKS:
        document = metadata_for(b"{}", {"6f1c8f4e-2b7a-4e3d-9a41-0c2d6b8e7f10": b"%PDF"})
        break_it(document)  # type: ignore[no-untyped-call]
        assert errors(v1, document), document

