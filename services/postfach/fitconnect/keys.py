"""Key pairs of the FIT-Connect part: the delivery service signs SETs and routing results with its own key, and
every destination has an encryption key (RSA-OAEP-256, ``key_ops: ["wrapKey"]``) and a signature key (PS512,
``key_ops: ["verify"]``). RSA-4096 generation takes a moment, so it runs in a worker thread — for seeded
destinations in the background, so that start-up stays fast — and keys are stored once, kept across resets.
"""

import asyncio
import datetime as dt
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.stored_keys import load_stored_private_key
from services.postfach.fitconnect.jose import JWE_ALG, rsa_private_jwk, rsa_public_jwk
from services.postfach.fitconnect.models import FcKey

log = logging.getLogger("basisdienste.postfach.fitconnect")

SERVICE = "service"
ENC, SIG = "enc", "sig"

# RSA-4096 generation gets ONE thread of its own. The first start makes nine keys (about 3 CPU-seconds): in the
# default executor they ran six at a time, took both cores from the start-up of the other services, and queued
# every other worker-thread job (the Nutzerkonto's token signatures, SET signatures) behind them. One at a time, in
# the order asked for (the delivery service's key first), they leave a core free.
_KEYGEN = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fitconnect-keygen")


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    owner: str
    purpose: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        if self.purpose == ENC:
            return {**rsa_public_jwk(self.public_key), "kid": self.kid, "alg": JWE_ALG, "key_ops": ["wrapKey"]}
        return {**rsa_public_jwk(self.public_key), "kid": self.kid, "alg": "PS512", "key_ops": ["verify"]}

    def private_jwk(self) -> dict[str, Any]:
        ops = ["unwrapKey"] if self.purpose == ENC else ["sign"]
        alg = JWE_ALG if self.purpose == ENC else "PS512"
        return {**rsa_private_jwk(self.private_key), "kid": self.kid, "alg": alg, "key_ops": ops}


def _generate(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _row(key: LoadedKey, bits: int, now: dt.datetime) -> FcKey:
    pem = key.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    return FcKey(kid=key.kid, owner=key.owner, purpose=key.purpose, bits=bits, private_key_pem=pem, created_at=now)


def _parse(row: FcKey) -> LoadedKey:
    key = load_stored_private_key(row.private_key_pem.encode())
    assert isinstance(key, rsa.RSAPrivateKey)
    return LoadedKey(kid=row.kid, owner=row.owner, purpose=row.purpose, private_key=key)


class KeyStore:
    def __init__(self) -> None:
        self._by_owner: dict[tuple[str, str], LoadedKey] = {}
        self._by_kid: dict[str, LoadedKey] = {}
        self._generating: dict[str, asyncio.Task[list[FcKey]]] = {}
        self._storing: set[asyncio.Task[None]] = set()

    def _register(self, key: LoadedKey) -> None:
        self._by_owner[(key.owner, key.purpose)] = key
        self._by_kid[key.kid] = key

    async def load(self, session: AsyncSession) -> None:
        """The stored keys replace what is held (a restored snapshot brings other keys); keys of owners still being
        generated stay, their storing follows."""
        rows = (await session.scalars(select(FcKey).order_by(FcKey.created_at))).all()
        known, pending = self._by_kid, set(self._generating)
        self._by_owner, self._by_kid = {}, {}
        for key in known.values():
            if key.owner in pending:
                self._register(key)
        for row in rows:
            self._register(known.get(row.kid) or _parse(row))

    def has(self, owner: str) -> bool:
        return (owner, SIG) in self._by_owner

    async def generate(self, owner: str, purposes: tuple[str, ...], bits: int,
                       now: dt.datetime) -> list[FcKey]:
        """New keys for ``owner``, generated in the key thread; the caller adds the rows to its session."""
        loop = asyncio.get_running_loop()
        private_keys = await asyncio.gather(*(loop.run_in_executor(_KEYGEN, _generate, bits) for _ in purposes))
        keys = [LoadedKey(kid=str(uuid.uuid4()), owner=owner, purpose=p, private_key=k)
                for p, k in zip(purposes, private_keys, strict=True)]
        for key in keys:
            self._register(key)
        return [_row(k, bits, now) for k in keys]

    def ensure_in_background(self, db: Database, owner: str, purposes: tuple[str, ...], bits: int,
                             now: dt.datetime) -> None:
        """Generate and store keys for ``owner`` unless it has them or they are being made.

        Requests wait for the generation only, never for the storing: a request that waits holds its session, and
        on SQLite that is the one pooled connection the storing needs (waiting for both deadlocked until the pool
        timed out, after 30 s). The rows follow within moments, on the next free connection."""
        if self.has(owner) or owner in self._generating:
            return
        generating = asyncio.create_task(self.generate(owner, purposes, bits, now), name=f"fitconnect-keys-{owner}")
        self._generating[owner] = generating
        generating.add_done_callback(lambda _: self._generating.pop(owner, None))

        async def store() -> None:
            rows = await generating
            async with db.sessionmaker() as session:
                stored = (await session.scalars(select(FcKey).where(FcKey.owner == owner)
                                                .order_by(FcKey.created_at))).all()
                if {r.purpose for r in stored} >= set(purposes):
                    # Stored meanwhile (a restored snapshot, another replica): those keys are the owner's.
                    for row in stored:
                        self._register(_parse(row))
                    return
                session.add_all(rows)
                await session.commit()

        storing = asyncio.create_task(store(), name=f"fitconnect-keys-store-{owner}")
        self._storing.add(storing)
        storing.add_done_callback(self._storing.discard)

    async def wait(self) -> None:
        """Until every background generation has finished and is stored (tests use it)."""
        while self._generating or self._storing:
            await asyncio.gather(*self._generating.values(), *self._storing, return_exceptions=True)

    async def get(self, owner: str, purpose: str, session: AsyncSession | None = None) -> LoadedKey | None:
        key = self._by_owner.get((owner, purpose))
        if key is not None:
            return key
        generating = self._generating.get(owner)
        if generating is not None:
            await asyncio.shield(generating)
            return self._by_owner.get((owner, purpose))
        if session is not None:  # another process (compose) may have made it
            row = (await session.scalars(select(FcKey).where(FcKey.owner == owner, FcKey.purpose == purpose)
                                         .order_by(FcKey.created_at.desc()).limit(1))).first()
            if row is not None:
                self._register(_parse(row))
                return self._by_owner[(owner, purpose)]
        return None

    def by_kid(self, kid: str) -> LoadedKey | None:
        return self._by_kid.get(kid)
