"""Helpers that act as real users and systems would, over HTTP only: a citizen logging in through the login pages
(OIDC with PKCE, SAML), paying through the hosted checkout, reading the Postfach; a sender and a subscriber at
FIT-Connect; a supplier posting an invoice. Each takes an ``httpx.Client`` whose base URL is the gateway's
(``basisdienste_http`` in the pytest plugin)."""

from harness.actors.browser import Browser, PageError
from harness.actors.citizen import Person, ServiceProvider, Tokens, oidc_login, saml_login
from harness.actors.fitconnect import Sender, Subscriber, fitconnect_token
from harness.actors.invoice import post_invoice, supplier_login
from harness.actors.payment import TEST_CARD, OnlineService, pay
from harness.actors.postfach import Mailbox, postfach_login

__all__ = ["TEST_CARD", "Browser", "Mailbox", "OnlineService", "PageError", "Person", "Sender", "ServiceProvider",
           "Subscriber", "Tokens", "fitconnect_token", "oidc_login", "pay", "post_invoice", "postfach_login",
           "saml_login", "supplier_login"]
