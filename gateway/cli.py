"""``basisdienste``: start the whole suite in one process, or one part of it (what each compose container runs)."""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
import uvicorn

from kit.logging import configure_logging
from kit.settings import SERVICE_NAMES, SuiteSettings

DESCRIPTION = """\
Basisdienste: a local twin of the eGovernment Basisdienste (Nutzerkonto/BundID, Postfach and FIT-Connect,
ePayment, Bescheid with seal, e-invoice intake) behind one gateway. Test mode only: no real credentials.

  basisdienste up                   the whole suite in one process on http://127.0.0.1:8000
  basisdienste serve postfach       one service on its own (as in compose)
  basisdienste serve gateway        the gateway alone, proxying to BASISDIENSTE_<SERVICE>_URL

Environment: BASISDIENSTE_DATABASE_URL (PostgreSQL, a schema per service), BASISDIENSTE_DATA_DIR,
BASISDIENSTE_CONTROL_TOKEN, BASISDIENSTE_EMULATOR_CONTROLS=false, BASISDIENSTE_<SERVICE>_URL,
BASISDIENSTE_GATEWAY_RATE_LIMIT_PER_SECOND, BASISDIENSTE_GATEWAY_REDIS_URL, BASISDIENSTE_GATEWAY_CORS_ORIGINS.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="basisdienste", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{up,serve}")

    def common(sub: argparse.ArgumentParser, port: int) -> None:
        sub.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
        sub.add_argument("--port", type=int, default=port, help="port to listen on (default: %(default)s)")
        sub.add_argument("--data-dir", type=Path, help="where the SQLite files live (default: ./.basisdienste)")
        sub.add_argument("--database-url", help="PostgreSQL URL; every service gets its own schema in it")
        sub.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default: INFO)")

    up = commands.add_parser("up", help="start the whole suite in one process",
                             description="Start the gateway and all five services in one process, print the "
                                         "URLs and the seeded test credentials; Ctrl-C stops it cleanly.")
    common(up, 8000)
    serve = commands.add_parser("serve", help="start one service, or the gateway alone",
                                description="Start one service (what a compose container runs), or the gateway "
                                            "in front of services named by BASISDIENSTE_<SERVICE>_URL.")
    serve.add_argument("service", choices=[*SERVICE_NAMES, "gateway"])
    common(serve, 8000)
    return parser


def _suite_settings(args: argparse.Namespace) -> SuiteSettings:
    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.database_url:
        overrides["database_url"] = args.database_url
    if args.log_level:
        overrides["log_level"] = args.log_level
    if args.command == "up" and "BASISDIENSTE_PUBLIC_BASE_URL" not in os.environ:
        overrides["public_base_url"] = f"http://{_display_host(args.host)}:{args.port}"
    return SuiteSettings(**overrides)


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only shown, not bound


async def _print_banner(server: uvicorn.Server, base: str, started: float) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.02)
    ready = time.perf_counter() - started
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        health = (await client.get("/health")).json()
        seed = (await client.get("/_emulator/seed")).json() if health.get("status") == "pass" else {}
    lines = [f"Basisdienste is up in {ready:.2f} s (test mode: no real credentials).", f"  gateway  {base}",
             f"  docs     {base}/docs", f"  health   {base}/health"]
    for name in SERVICE_NAMES:
        status = health.get("services", {}).get(name, {}).get("status", "?")
        lines.append(f"  {name:<17}{base}/{name}  [{status}]")
    lines.append("Seeded test data (all of it: GET /_emulator/seed):")
    for name in SERVICE_NAMES:
        lines.extend(f"  {name} {line}" for line in _summary(seed.get(name) or {}))
    lines.append("Ctrl-C stops the suite.")
    print("\n".join(lines), flush=True)


# The fields of a seeded item that a developer needs to log in or authenticate with it.
_CREDENTIAL_FIELDS = ("id", "client_id", "entity_id", "username", "password", "client_secret")


def _summary(seed: dict, prefix: str = "") -> list[str]:
    """One line per seeded value or item (identities, clients...), credentials only. A service made of parts
    (the Postfach: mailbox, fitconnect) nests one seed per part; plain lookup tables are left to the seed."""
    lines = []
    for key, value in seed.items():
        name = f"{prefix}{key}"
        if isinstance(value, str | int | float):
            lines.append(f"{name}: {value}")
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    fields = [str(item[f]) for f in _CREDENTIAL_FIELDS if item.get(f)]
                    if fields:
                        lines.append(f"{name}: " + " / ".join(fields))
        elif isinstance(value, dict) and any(isinstance(v, list | dict) for v in value.values()):
            lines.extend(_summary(value, f"{name}."))
    return lines


def _run(app: object, args: argparse.Namespace, suite: SuiteSettings, *, banner: bool) -> None:
    config = uvicorn.Config(app, host=args.host, port=args.port, lifespan="on", log_config=None,
                            access_log=False, server_header=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    started = time.perf_counter()

    async def main() -> None:
        tasks = []
        if banner:
            base = f"http://{_display_host(args.host)}:{args.port}"
            tasks.append(asyncio.create_task(_print_banner(server, base, started)))
        await server.serve()
        for task in tasks:
            task.cancel()

    try:
        # uvicorn's loop factory: uvloop where installed (uvicorn[standard]), as `uvicorn` itself would run.
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(main())
    except KeyboardInterrupt:
        # uvicorn has already shut down gracefully and re-raised Ctrl-C: that is a normal end.
        pass
    if not server.started:
        sys.exit(1)
    if banner:
        print("Basisdienste stopped.", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    suite = _suite_settings(args)
    configure_logging(suite.log_level, suite.log_format)
    # Imported here so that `basisdienste --help` stays fast.
    from gateway.settings import GatewaySettings
    from gateway.suite import build_gateway, service_app

    if args.command == "up":
        _run(build_gateway(GatewaySettings(suite=suite)), args, suite, banner=True)
    elif args.service == "gateway":
        _run(build_gateway(GatewaySettings(suite=suite), embedded=False), args, suite, banner=False)
    else:
        _run(service_app(args.service, suite), args, suite, banner=False)


if __name__ == "__main__":
    main()
