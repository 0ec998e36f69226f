"""An independent FIT-Connect sender and subscriber for tests, written with jwcrypto (JWE/JWS) and jsonschema —
no code of the service under test. The subscriber decrypts, checks the SHA-512 hashes the metadata names,
validates the metadata against the schema, and signs accept/reject SETs with the destination's key."""

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema
from jwcrypto import jwe, jwk, jws

SEND_SCOPE = "https://schema.fitko.de/fit-connect/oauth/scopes/send-submissions"
SUB = "/postfach/fitconnect/submission-api"
TOKEN = "/postfach/fitconnect/token"
EVENTS = "https://schema.fitko.de/fit-connect/events/"
SET_SCHEMA = "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json"
LEIKA = "urn:de:fim:leika:leistung:99050012104000"
DATA_SCHEMA = "https://schema.fitko.de/fim/s00000096_1.0.schema.json"


async def seed(client: httpx.AsyncClient) -> dict[str, Any]:
    return (await client.get("/_emulator/seed")).json()["postfach"]["fitconnect"]


async def token(client: httpx.AsyncClient, client_id: str, secret: str | None = None) -> str:
    answer = await client.post(TOKEN, data={"grant_type": "client_credentials", "client_id": client_id,
                                            "client_secret": secret or f"{client_id}-secret"})
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def encrypt(public_jwk: dict[str, Any], payload: bytes, cty: str = "application/json",
            **header: Any) -> str:
    key = jwk.JWK(**public_jwk)
    protected = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": cty, "kid": public_jwk["kid"], **header}
    token = jwe.JWE(payload, recipient=key, protected=json.dumps(protected))
    return token.serialize(compact=True)


def sha512(data: bytes) -> dict[str, str]:
    return {"type": "sha512", "content": hashlib.sha512(data).hexdigest()}


def metadata_for(data: bytes, attachments: dict[str, bytes], **extra: Any) -> dict[str, Any]:
    return {"$schema": "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json",
            "contentStructure": {
                "data": {"hash": sha512(data), "submissionSchema": {"schemaUri": DATA_SCHEMA,
                                                                     "mimeType": "application/json"}},
                "attachments": [{"attachmentId": a, "hash": sha512(content), "purpose": "attachment",
                                 "mimeType": "application/pdf", "filename": f"{a[:8]}.pdf"}
                                for a, content in attachments.items()]},
            "additionalReferenceInfo": {"senderReference": "AZ-4711", "applicationDate": "2026-11-23"},
            **extra}


@dataclass
class Sender:
    """A sender that does what an online service does, step by step, over HTTP."""

    client: httpx.AsyncClient
    access_token: str
    version: str = "v2"

    def url(self, path: str) -> str:
        return f"{SUB}/{self.version}{path}"

    async def encryption_key(self, destination_id: str) -> dict[str, Any]:
        destination = (await self.client.get(self.url(f"/destinations/{destination_id}"),
                                             headers=bearer(self.access_token))).json()
        return (await self.client.get(self.url(f"/destinations/{destination_id}/keys/{destination['encryptionKid']}"),
                                      headers=bearer(self.access_token))).json()

    async def create(self, destination_id: str, attachment_ids: list[str], **extra: Any) -> httpx.Response:
        field_name = "publicService" if self.version == "v2" else "serviceType"
        body = {"destinationId": destination_id, "announcedAttachments": attachment_ids,
                field_name: {"identifier": LEIKA, "name": "Gewerbeanmeldung"}, **extra}
        return await self.client.post(self.url("/submissions"), json=body, headers=bearer(self.access_token))

    async def upload(self, submission_id: str, attachment_id: str, jwe_token: str) -> httpx.Response:
        return await self.client.put(self.url(f"/submissions/{submission_id}/attachments/{attachment_id}"),
                                     content=jwe_token, headers={**bearer(self.access_token),
                                                                 "Content-Type": "application/jose"})

    async def submit(self, submission_id: str, metadata: str, data: str | None) -> httpx.Response:
        body = {"encryptedMetadata": metadata, **({"encryptedData": data} if data is not None else {})}
        return await self.client.put(self.url(f"/submissions/{submission_id}"), json=body,
                                     headers=bearer(self.access_token))

    async def send(self, destination_id: str, data: dict[str, Any], attachments: list[bytes],
                   metadata_extra: dict[str, Any] | None = None, **create_extra: Any) -> dict[str, Any]:
        """Create, upload, submit; answers the create response."""
        key = await self.encryption_key(destination_id)
        ids = {str(uuid.uuid4()): content for content in attachments}
        created = await self.create(destination_id, list(ids), **create_extra)
        assert created.status_code == 201, created.text
        submission = created.json()
        for attachment_id, content in ids.items():
            uploaded = await self.upload(submission["submissionId"], attachment_id,
                                         encrypt(key, content, "application/pdf"))
            assert uploaded.status_code == 204, uploaded.text
        data_bytes = json.dumps(data).encode()
        metadata = metadata_for(data_bytes, ids, **(metadata_extra or {}))
        submitted = await self.submit(submission["submissionId"], encrypt(key, json.dumps(metadata).encode()),
                                      encrypt(key, data_bytes))
        assert submitted.status_code == 200, submitted.text
        return submission


@dataclass
class Received:
    submission: dict[str, Any]
    metadata: dict[str, Any]
    data: bytes | None
    attachments: dict[str, bytes]
    problems: list[dict[str, str]] = field(default_factory=list)
    attachment_tags: dict[str, str] = field(default_factory=dict)


class TestSubscriber:
    """A Fachverfahren: fetches with its token, decrypts with the destination's private key, checks, answers."""

    __test__ = False

    def __init__(self, client: httpx.AsyncClient, access_token: str, keys: dict[str, Any],
                 destination_id: str, schemas: dict[str, Any] | None = None, base: str = SUB) -> None:
        self.client = client
        self.access_token = access_token
        self.decryption_key = jwk.JWK(**keys["encryption"])
        self.signing_key = jwk.JWK(**keys["signing"])
        self.signing_kid = keys["signing"]["kid"]
        self.destination_id = destination_id
        self.schemas = schemas or {}
        self.base = base

    def decrypt(self, token: str) -> bytes:
        message = jwe.JWE()
        message.deserialize(token, key=self.decryption_key)
        return message.payload

    async def pending(self) -> list[dict[str, Any]]:
        answer = await self.client.get(f"{self.base}/v2/submissions", params={"destinationId": self.destination_id},
                                       headers=bearer(self.access_token))
        assert answer.status_code == 200, answer.text
        return answer.json()["submissions"]

    async def metadata_schema(self, uri: str) -> dict[str, Any]:
        if uri not in self.schemas:
            version = uri.split("/metadata/")[1].split("/")[0]
            answer = await self.client.get(f"/postfach/fitconnect/schema/metadata/{version}/metadata.schema.json")
            assert answer.status_code == 200
            self.schemas[uri] = answer.json()
        return self.schemas[uri]

    async def receive(self, submission_id: str) -> Received:
        answer = await self.client.get(f"{self.base}/v2/submissions/{submission_id}",
                                       headers=bearer(self.access_token))
        assert answer.status_code == 200, answer.text
        submission = answer.json()
        metadata = json.loads(self.decrypt(submission["encryptedMetadata"]))
        data = self.decrypt(submission["encryptedData"]) if submission.get("encryptedData") else None
        attachments, tags = {}, {}
        for attachment_id in submission["attachments"]:
            got = await self.client.get(f"{self.base}/v2/submissions/{submission_id}/attachments/{attachment_id}",
                                        headers=bearer(self.access_token))
            assert got.status_code == 200 and got.headers["content-type"].startswith("application/jose")
            attachments[attachment_id] = self.decrypt(got.text)
            tags[attachment_id] = got.text.rsplit(".", 1)[1]
        received = Received(submission, metadata, data, attachments, attachment_tags=tags)
        received.problems = await self.check(received)
        return received

    async def check(self, received: Received) -> list[dict[str, str]]:
        """Problems a subscriber rejects for: schema violations and hash mismatches."""
        instance = f"submission:{received.submission['submissionId']}"
        problems = []
        schema = await self.metadata_schema(received.metadata.get(
            "$schema", "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json"))
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(received.metadata), key=str)
        if errors:
            problems.append({"type": EVENTS + "problems/schema-violation", "title": "Schema-Verletzung",
                             "detail": errors[0].message[:200], "instance": instance})
        structure = received.metadata.get("contentStructure", {})
        data_hash = structure.get("data", {}).get("hash", {}).get("content")
        if received.data is not None and data_hash and data_hash != hashlib.sha512(received.data).hexdigest():
            problems.append({"type": EVENTS + "problems/hash-mismatch", "title": "Hash stimmt nicht",
                             "detail": "data", "instance": instance})
        for entry in structure.get("attachments", []):
            content = received.attachments.get(entry.get("attachmentId"))
            if content is None or hashlib.sha512(content).hexdigest() != entry.get("hash", {}).get("content"):
                problems.append({"type": EVENTS + "problems/hash-mismatch", "title": "Hash stimmt nicht",
                                 "detail": f"attachment {entry.get('attachmentId')}", "instance": instance})
        return problems

    def event(self, received: Received, name: str, *, problems: list[dict[str, str]] | None = None,
              iat: int | None = None, jti: str | None = None, tags: dict[str, Any] | None = None,
              key: jwk.JWK | None = None, kid: str | None = None) -> str:
        submission = received.submission
        if tags is None:
            tags = {"metadata": submission["encryptedMetadata"].rsplit(".", 1)[1]}
            if submission.get("encryptedData"):
                tags["data"] = submission["encryptedData"].rsplit(".", 1)[1]
            if received.attachments:
                tags["attachments"] = dict(received.attachment_tags)
        payload: dict[str, Any] = {"authenticationTags": tags}
        if problems is not None:
            payload["problems"] = problems
        claims = {"$schema": SET_SCHEMA, "jti": jti or str(uuid.uuid4()), "iss": self.destination_id,
                  "iat": iat if iat is not None else int(time.time()),
                  "sub": f"submission:{submission['submissionId']}", "txn": f"case:{submission['caseId']}",
                  "events": {EVENTS + name: payload}}
        token = jws.JWS(json.dumps(claims).encode())
        token.add_signature(key or self.signing_key, alg="PS512",
                            protected=json.dumps({"alg": "PS512", "typ": "secevent+jwt",
                                                  "kid": kid or self.signing_kid}))
        return token.serialize(compact=True)

    async def post_event(self, case_id: str, token: str) -> httpx.Response:
        return await self.client.post(f"{self.base}/v2/cases/{case_id}/events", content=token,
                                      headers={**bearer(self.access_token), "Content-Type": "application/jose"})

    async def answer(self, received: Received) -> httpx.Response:
        """Accept when the checks pass, reject with the problems otherwise."""
        if received.problems:
            token = self.event(received, "reject-submission", problems=received.problems)
        else:
            token = self.event(received, "accept-submission")
        return await self.post_event(received.submission["caseId"], token)
