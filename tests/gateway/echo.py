"""A tiny upstream that shows the gateway's work: what headers arrived, how a body streamed, how it fails."""

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route


async def headers(request: Request) -> JSONResponse:
    return JSONResponse({"headers": dict(request.headers), "path": request.url.path,
                         "root_path": request.scope.get("root_path", ""), "query": request.url.query})


async def upload(request: Request) -> JSONResponse:
    digest, size, chunks = hashlib.sha256(), 0, 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
        chunks += bool(chunk)
    return JSONResponse({"sha256": digest.hexdigest(), "bytes": size, "chunks": chunks})


async def stream(request: Request) -> StreamingResponse:
    count = int(request.query_params.get("n", "5"))

    async def parts() -> AsyncIterator[bytes]:
        for i in range(count):
            yield f"part {i}\n".encode()
            await asyncio.sleep(0)

    return StreamingResponse(parts(), media_type="text/plain",
                             headers={"Connection": "close, X-Secret", "X-Secret": "hop", "Keep-Alive": "5"})


async def boom(request: Request) -> JSONResponse:
    raise RuntimeError("the upstream broke")


async def slow(request: Request) -> JSONResponse:
    await asyncio.sleep(float(request.query_params.get("s", "5")))
    return JSONResponse({"slept": True})


def echo_app() -> Starlette:
    return Starlette(routes=[Route("/headers", headers), Route("/upload", upload, methods=["POST"]),
                             Route("/stream", stream), Route("/boom", boom), Route("/slow", slow)])


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port for the duration of the block."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
