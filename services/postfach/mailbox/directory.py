"""Which postkorb handles exist: a citizen's or company's mailbox is known when the Nutzerkonto knows the identity
whose handle it is. The Nutzerkonto's identity list (its emulator control ``GET /_emulator/identities``) is read
through peers and cached for ``identity_cache_seconds``; an unknown handle refetches (so a test identity created a
moment ago is found), and concurrent misses share one fetch."""

import asyncio
import logging
import time
from dataclasses import dataclass

from kit.peers import Peers
from kit.problems import Problem

log = logging.getLogger("basisdienste.postfach.directory")


@dataclass(frozen=True)
class Owner:
    identity_id: str
    kind: str  # citizen | company
    display_name: str
    mail: str | None


class IdentityDirectory:
    def __init__(self, peers: Peers, *, ttl: float) -> None:
        self.peers = peers
        self.ttl = ttl
        self._owners: dict[str, Owner] = {}
        self._fetched_at = -1e18
        self._fetch_started = -1e18
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        self._owners.clear()
        self._fetched_at = self._fetch_started = -1e18

    async def owner(self, handle: str) -> Owner | None:
        asked = time.monotonic()
        if asked - self._fetched_at < self.ttl and handle in self._owners:
            return self._owners[handle]
        async with self._lock:
            # Misses that waited for a fetch which started after they asked share its answer: a burst of
            # deliveries to a new handle (or to invented ones) costs one request to the Nutzerkonto, not one each.
            if self._fetch_started < asked:
                await self._fetch()
        return self._owners.get(handle)

    async def _fetch(self) -> None:
        self._fetch_started = time.monotonic()
        try:
            response = await self.peers.client("nutzerkonto").get("/_emulator/identities",
                                                                  headers=self.peers.control_headers())
            response.raise_for_status()
            identities = response.json()
        except Exception as exc:  # unreachable or refusing: we cannot tell which mailboxes exist
            log.warning("cannot read the Nutzerkonto's identities: %s", exc)
            raise Problem(503, "The Nutzerkonto cannot be asked whether this mailbox exists; try again.",
                          type_="identity-provider-unavailable", title="Identity provider unavailable") from exc
        owners: dict[str, Owner] = {}
        for identity in identities:
            attributes = identity.get("attributes") or {}
            handle = attributes.get("legacyPostkorbHandle")
            if not handle:
                continue
            kind = "company" if identity.get("kind") == "organisation" else "citizen"
            owners[handle] = Owner(identity_id=identity["id"], kind=kind,
                                   display_name=identity.get("display_name") or identity["id"],
                                   mail=attributes.get("mail") or None)
        self._owners = owners
        self._fetched_at = time.monotonic()

    def known(self) -> dict[str, Owner]:
        return dict(self._owners)
