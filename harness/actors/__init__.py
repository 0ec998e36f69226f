"""Helpers that act as real users and systems would, over HTTP only: a citizen logging in through the login pages,
paying through the hosted checkout, reading the Postfach; a sender and a subscriber at FIT-Connect; a supplier
posting an invoice. Each takes an ``httpx.Client`` whose base URL is the gateway's."""
