"""``basisdienste``: start the whole suite in one process, or one part of it (what each compose container runs)."""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
import uvicorn

from gateway import exec as exec_command
from gateway import remote_controls, state_cli
from gateway.banner import banner_lines
from kit.logging import configure_logging
from kit.settings import SERVICE_NAMES, SuiteSettings

DESCRIPTION = """\
Basisdienste: a local twin of the eGovernment Basisdienste (Nutzerkonto/BundID, Postfach and FIT-Connect,
ePayment, Bescheid with seal, e-invoice intake) behind one gateway. Test mode only: no real credentials.

  basisdienste up                   the whole suite in one process on http://127.0.0.1:8000
  basisdienste exec -- pytest -x    start the suite on a free port, run the command against it, stop the suite
  basisdienste serve postfach       one service on its own (as in compose)
  basisdienste serve gateway        the gateway alone, proxying to BASISDIENSTE_<SERVICE>_URL
  basisdienste up --seed ./seed     with a seed folder of test data (YAML/JSON), registered again at every reset
  basisdienste export ./snap        a running suite's state to a snapshot directory
  basisdienste up --import ./snap   start with it (--export-on-exit DIR writes one when the suite stops)

Controls of a running suite (--url, default $BASISDIENSTE_URL or http://127.0.0.1:8000):
  basisdienste reset                empty every service and reload the seed data
  basisdienste clock --advance P3D  show, --freeze, --advance or --release the emulator clock
  basisdienste faults add --service postfach --operation health --status 503    (list, add, clear)
  basisdienste seed | mails | outbox --service S    the seeded test data, captured e-mails, a service's outbox

Environment: BASISDIENSTE_DATABASE_URL (PostgreSQL, a schema per service), BASISDIENSTE_DATA_DIR,
BASISDIENSTE_CONTROL_TOKEN, BASISDIENSTE_EMULATOR_CONTROLS=false, BASISDIENSTE_<SERVICE>_URL,
BASISDIENSTE_GATEWAY_RATE_LIMIT_PER_SECOND, BASISDIENSTE_GATEWAY_REDIS_URL, BASISDIENSTE_GATEWAY_CORS_ORIGINS.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="basisdienste", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True,
                                     metavar="{up,exec,serve,reset,clock,faults,seed,mails,outbox,export}")

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
    state_cli.add_up_options(up)
    serve = commands.add_parser("serve", help="start one service, or the gateway alone",
                                description="Start one service (what a compose container runs), or the gateway "
                                            "in front of services named by BASISDIENSTE_<SERVICE>_URL.")
    serve.add_argument("service", choices=[*SERVICE_NAMES, "gateway"])
    common(serve, 8000)
    exec_command.add_parser(commands)
    remote_controls.add_parsers(commands)
    state_cli.add_export_parser(commands)
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
    lines = banner_lines(base, health, seed, ready)
    lines.append("Ctrl-C stops the suite.")
    print("\n".join(lines), flush=True)


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
    except SystemExit:
        # uvicorn exits with its own code 3 when the lifespan's startup failed; the app's code says more.
        if server.started or not getattr(app, "exit_code", None):
            raise
    if not server.started:
        sys.exit(getattr(app, "exit_code", None) or 1)  # 2: the gateway refused --import or --seed
    if banner:
        print("Basisdienste stopped.", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if getattr(args, "control", None):
        sys.exit(remote_controls.run(args))
    if args.command == "exec":
        sys.exit(exec_command.run(args))
    if args.command == "export":
        sys.exit(state_cli.run_export(args))
    suite = _suite_settings(args)
    configure_logging(suite.log_level, suite.log_format)
    # Imported here so that `basisdienste --help` stays fast.
    from gateway.settings import GatewaySettings
    from gateway.suite import build_gateway, service_app

    if args.command == "up":
        gateway = build_gateway(GatewaySettings(suite=suite))
        state_cli.prepare_up(gateway, args)
        _run(gateway, args, suite, banner=True)
    elif args.service == "gateway":
        _run(build_gateway(GatewaySettings(suite=suite), embedded=False), args, suite, banner=False)
    else:
        _run(service_app(args.service, suite), args, suite, banner=False)


if __name__ == "__main__":
    main()
