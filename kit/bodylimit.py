"""Refuse request bodies over a size cap with a 413 problem, without reading more than the cap.

A declared ``Content-Length`` over the cap is refused before a byte is read; a chunked body is counted while it
streams and refused the moment it passes the cap. Whatever the inner app had started to answer is discarded.
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE


class BodyTooLarge(Exception):
    pass


def too_large_response(limit: int) -> tuple[Message, Message]:
    body = json.dumps({
        "type": PROBLEM_BASE + "body-too-large",
        "title": "Content Too Large",
        "status": 413,
        "detail": f"The request body exceeds the limit of {limit} bytes.",
        "max_bytes": limit,
    }).encode()
    start = {"type": "http.response.start", "status": 413,
             "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
                         (b"connection", b"close")]}
    return start, {"type": "http.response.body", "body": body}


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
                break

        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded:
                return  # the inner app's answer to a cut-off body (usually a 500) is replaced by the 413
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not response_started:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        start, body = too_large_response(self.max_bytes)
        await send(start)
        await send(body)
