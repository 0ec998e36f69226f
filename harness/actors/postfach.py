"""A citizen reading their Postfach with the token of a login (scope ``bundid``, resource ``postfach``): the own
mailbox, the message list, a message (reading it is the retrieval a Bekanntgabe may count from), its attachments.
"""

from dataclasses import dataclass
from typing import Any

import httpx

from harness.actors.citizen import Person, Tokens, oidc_login

API = "/postfach/api/v6"


def postfach_login(http: httpx.Client, identity: "str | Person" = "erika-mustermann", level: int = 4) -> Tokens:
    """A login of the online form's client with the scopes and resource the Postfach asks for."""
    return oidc_login(http, identity=identity, level=level, scope="openid bundid", resource="postfach",
                      acr_values=f"STORK-QAA-Level-{level}")


@dataclass
class Mailbox:
    http: httpx.Client
    tokens: Tokens

    def _get(self, path: str) -> httpx.Response:
        answer = self.http.get(f"{API}{path}", headers=self.tokens.bearer)
        answer.raise_for_status()
        return answer

    def own(self) -> dict[str, Any]:
        """``mailboxUuid``, ``sessionLevel`` and the mailbox's details."""
        return self._get("/mailbox").json()  # type: ignore[no-any-return]

    @property
    def uuid(self) -> str:
        return str(self.own()["mailboxUuid"])

    def messages(self) -> list[dict[str, Any]]:
        """The list as the inbox shows it (no content; ``locked`` where the session's level is too low)."""
        return self._get(f"/mailboxes/{self.uuid}/messages").json()["messages"]  # type: ignore[no-any-return]

    def read(self, message_id: str) -> dict[str, Any]:
        """One message with its content; the first read is its retrieval (``retrievedAt``)."""
        return self._get(f"/mailboxes/{self.uuid}/messages/{message_id}").json()  # type: ignore[no-any-return]

    def attachment(self, message_id: str, attachment_id: str) -> bytes:
        return self._get(f"/mailboxes/{self.uuid}/messages/{message_id}/attachments/{attachment_id}").content

    def mark_read(self, message_id: str) -> dict[str, Any]:
        answer = self.http.post(f"{API}/mailboxes/{self.uuid}/messages/{message_id}/read", headers=self.tokens.bearer)
        answer.raise_for_status()
        return answer.json()  # type: ignore[no-any-return]
