"""Encryption at rest: message envelopes and attachments are sealed with AES-256-GCM under one key per deployment,
from the setting ``at_rest_key`` or generated once and kept in ``mailbox_keys`` (which survives resets).

The row id is the associated data, so a sealed value copied into another row does not open there.
"""

import base64
import datetime as dt
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.ext.asyncio import AsyncSession

from services.postfach.mailbox.models import DeploymentKey

KEY_ID = "at-rest-v1"
_NONCE_BYTES = 12
_VERSION = b"\x01"


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the at-rest key must be 32 bytes (AES-256)")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, bound_to.encode())

    def open(self, sealed: bytes, *, bound_to: str) -> bytes:
        if sealed[:1] != _VERSION:
            raise ValueError("unknown sealing version")
        nonce, ciphertext = sealed[1:1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, bound_to.encode())


def key_from_setting(value: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ValueError("BASISDIENSTE_POSTFACH_AT_REST_KEY must be base64 of 32 bytes") from exc
    if len(key) != 32:
        raise ValueError("BASISDIENSTE_POSTFACH_AT_REST_KEY must be base64 of 32 bytes")
    return key


async def load_or_create_key(session: AsyncSession, now: dt.datetime) -> bytes:
    """The deployment's stored key; created on the first start (the caller commits)."""
    row = await session.get(DeploymentKey, KEY_ID)
    if row is None:
        row = DeploymentKey(id=KEY_ID, key=AESGCM.generate_key(bit_length=256), created_at=now)
        session.add(row)
        await session.flush()
    return row.key
