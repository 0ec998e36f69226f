"""A FIT-Connect sender (an online service submitting an application) and subscriber (the Fachverfahren at the
destination fetching, decrypting and accepting it), over the Submission API as the FIT-Connect documentation
describes the steps: OAuth client credentials, announce the submission, upload encrypted attachments, submit
encrypted metadata and data (JWE RSA-OAEP-256 + A256GCM with the destination's key), and on the subscriber's side
fetch, decrypt, check the hashes and answer with a signed Security Event Token.

The destination's private keys come from the emulator control (``.../private-keys``): in production they never
leave the Fachverfahren, here the test is that Fachverfahren.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from jwcrypto import jwe, jwk, jws

from harness.actors.browser import PageError
from harness.actors.clock import suite_now

BASE = "/postfach/fitconnect"
SUBMISSIONS = f"{BASE}/submission-api/v2"
EVENTS = "https://schema.fitko.de/fit-connect/events/"
METADATA_SCHEMA = "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json"
SET_SCHEMA = "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json"
# The seeded clients (``/_emulator/seed``: postfach.fitconnect.clients).
SENDER = ("fitconnect-sender", "fitconnect-sender-secret")


def fitconnect_token(http: httpx.Client, client_id: str, client_secret: str) -> str:
    answer = http.post(f"{BASE}/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                              "client_secret": client_secret})
    if answer.status_code != 200:
        raise PageError(f"FIT-Connect token refused: {answer.status_code} {answer.text[:300]}")
    return str(answer.json()["access_token"])


def _sha512(data: bytes) -> dict[str, str]:
    return {"type": "sha512", "content": hashlib.sha512(data).hexdigest()}


def _check(answer: httpx.Response, *expected: int) -> httpx.Response:
    if answer.status_code not in expected:
        raise PageError(f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {answer.text[:300]}")
    return answer


@dataclass
class Sender:
    http: httpx.Client
    access_token: str

    @classmethod
    def seeded(cls, http: httpx.Client) -> "Sender":
        return cls(http, fitconnect_token(http, *SENDER))

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def encryption_key(self, destination_id: str) -> dict[str, Any]:
        destination = _check(self.http.get(f"{SUBMISSIONS}/destinations/{destination_id}", headers=self._auth), 200)
        kid = destination.json()["encryptionKid"]
        return _check(self.http.get(f"{SUBMISSIONS}/destinations/{destination_id}/keys/{kid}", headers=self._auth),
                      200).json()  # type: ignore[no-any-return]

    def submit(self, destination_id: str, data: dict[str, Any], *, leika_key: str, service_name: str,
               data_schema: str, attachments: dict[str, bytes] | None = None) -> dict[str, Any]:
        """Announce, upload, submit; answers the announced submission (``submissionId``, ``caseId``)."""
        key = jwk.JWK(**self.encryption_key(destination_id))

        def encrypt(payload: bytes, content_type: str) -> str:
            protected = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "cty": content_type, "kid": key["kid"]}
            return jwe.JWE(payload, recipient=key, protected=json.dumps(protected)).serialize(compact=True)

        files = {str(uuid.uuid4()): (name, content) for name, content in (attachments or {}).items()}
        created = _check(self.http.post(f"{SUBMISSIONS}/submissions", headers=self._auth, json={
            "destinationId": destination_id, "announcedAttachments": list(files),
            "publicService": {"identifier": f"urn:de:fim:leika:leistung:{leika_key}", "name": service_name}}), 201)
        submission = created.json()
        for attachment_id, (_, content) in files.items():
            _check(self.http.put(f"{SUBMISSIONS}/submissions/{submission['submissionId']}/attachments/{attachment_id}",
                                 content=encrypt(content, "application/pdf"),
                                 headers={**self._auth, "Content-Type": "application/jose"}), 204)
        data_bytes = json.dumps(data).encode()
        metadata = {"$schema": METADATA_SCHEMA, "contentStructure": {
            "data": {"hash": _sha512(data_bytes),
                     "submissionSchema": {"schemaUri": data_schema, "mimeType": "application/json"}},
            "attachments": [{"attachmentId": a, "hash": _sha512(content), "purpose": "attachment",
                             "mimeType": "application/pdf", "filename": name}
                            for a, (name, content) in files.items()]}}
        _check(self.http.put(f"{SUBMISSIONS}/submissions/{submission['submissionId']}", headers=self._auth, json={
            "encryptedMetadata": encrypt(json.dumps(metadata).encode(), "application/json"),
            "encryptedData": encrypt(data_bytes, "application/json")}), 200)
        return submission  # type: ignore[no-any-return]

    def event_log(self, case_id: str) -> list[str]:
        """The case's event log: SETs as compact JWS (verify them with the JWKS if the test is about it)."""
        return _check(self.http.get(f"{SUBMISSIONS}/cases/{case_id}/events", headers=self._auth),
                      200).json()["eventLog"]  # type: ignore[no-any-return]

    def events(self, case_id: str) -> list[str]:
        """The event names in the case's log, oldest first (``submit-submission``, ``accept-submission``...)."""
        names = []
        for token in self.event_log(case_id):
            message = jws.JWS()
            message.deserialize(token)
            (uri,) = json.loads(message.objects["payload"])["events"]
            names.append(uri.removeprefix(EVENTS))
        return names


@dataclass
class Received:
    submission: dict[str, Any]
    metadata: dict[str, Any]
    data: bytes | None
    attachments: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.data or b"null")


@dataclass
class Subscriber:
    """The Fachverfahren at one destination, with its subscriber client and the destination's private keys."""

    http: httpx.Client
    access_token: str
    destination_id: str
    keys: dict[str, Any]

    @classmethod
    def seeded(cls, http: httpx.Client, client_id: str, client_secret: str, destination_id: str) -> "Subscriber":
        keys = _check(http.get(f"/_emulator/postfach/fitconnect/destinations/{destination_id}/private-keys"), 200)
        return cls(http, fitconnect_token(http, client_id, client_secret), destination_id, keys.json())

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def _decrypt(self, token: str) -> bytes:
        message = jwe.JWE()
        message.deserialize(token, key=jwk.JWK(**self.keys["encryption"]))
        return bytes(message.payload)

    def pending(self) -> list[dict[str, Any]]:
        return _check(self.http.get(f"{SUBMISSIONS}/submissions", params={"destinationId": self.destination_id},
                                    headers=self._auth), 200).json()["submissions"]  # type: ignore[no-any-return]

    def receive(self, submission_id: str) -> Received:
        """Fetch and decrypt; raises when a hash the metadata names does not match."""
        submission = _check(self.http.get(f"{SUBMISSIONS}/submissions/{submission_id}", headers=self._auth),
                            200).json()
        metadata = json.loads(self._decrypt(submission["encryptedMetadata"]))
        data = self._decrypt(submission["encryptedData"]) if submission.get("encryptedData") else None
        received = Received(submission, metadata, data,
                            tags={"metadata": submission["encryptedMetadata"].rsplit(".", 1)[1]})
        if data is not None:
            received.tags["data"] = submission["encryptedData"].rsplit(".", 1)[1]
            if metadata["contentStructure"]["data"]["hash"]["content"] != hashlib.sha512(data).hexdigest():
                raise PageError(f"submission {submission_id}: the data's hash does not match")
        for entry in metadata["contentStructure"].get("attachments", []):
            token = _check(self.http.get(f"{SUBMISSIONS}/submissions/{submission_id}/attachments/"
                                         f"{entry['attachmentId']}", headers=self._auth), 200).text
            content = self._decrypt(token)
            if hashlib.sha512(content).hexdigest() != entry["hash"]["content"]:
                raise PageError(f"submission {submission_id}: attachment {entry['attachmentId']} hash mismatch")
            received.attachments[entry["attachmentId"]] = content
            received.tags.setdefault("attachments", {})[entry["attachmentId"]] = token.rsplit(".", 1)[1]  # type: ignore[index]
        return received

    def accept(self, received: Received) -> None:
        self._answer(received, "accept-submission", {"authenticationTags": received.tags})

    def reject(self, received: Received, problems: list[dict[str, str]]) -> None:
        self._answer(received, "reject-submission", {"authenticationTags": received.tags, "problems": problems})

    def _answer(self, received: Received, event: str, payload: dict[str, Any]) -> None:
        submission = received.submission
        iat = int(suite_now(self.http).timestamp())
        claims = {"$schema": SET_SCHEMA, "jti": str(uuid.uuid4()), "iss": self.destination_id, "iat": iat,
                  "sub": f"submission:{submission['submissionId']}", "txn": f"case:{submission['caseId']}",
                  "events": {EVENTS + event: payload}}
        signing = self.keys["signing"]
        token = jws.JWS(json.dumps(claims).encode())
        token.add_signature(jwk.JWK(**signing), alg="PS512",
                            protected=json.dumps({"alg": "PS512", "typ": "secevent+jwt", "kid": signing["kid"]}))
        _check(self.http.post(f"{SUBMISSIONS}/cases/{submission['caseId']}/events",
                              content=token.serialize(compact=True),
                              headers={**self._auth, "Content-Type": "application/jose"}), 204)
