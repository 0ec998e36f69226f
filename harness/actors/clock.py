"""The time a client puts into what it sends (an AuthnRequest's IssueInstant, an SET's ``iat``, a paymentRequest's
``requestTimestamp``): the suite's business time, which a test may have frozen or moved (``/_emulator/clock``), so
the suite judges these stamps against the clock it runs on. A suite whose controls this client may not call
(another host, no control token) is taken to run on real time."""

import datetime as dt

import httpx


def suite_now(http: httpx.Client) -> dt.datetime:
    answer = http.get("/_emulator/clock")
    if answer.status_code != 200:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.fromisoformat(answer.json()["now"].replace("Z", "+00:00")).astimezone(dt.UTC)
