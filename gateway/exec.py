"""``basisdienste exec -- <command>``: start the suite, run one command against it, stop the suite, and exit with the
command's exit code (Firebase's ``emulators:exec``: one line for a CI job).

The suite runs in this process, on a thread of its own, rather than as a child ``basisdienste up``: nothing can
outlive this process (a killed ``exec`` leaves no server holding the port and data), a failed start-up is reported
from the suite's own exception, the listening socket is bound before the suite starts (no race for the free port),
and the command starts without paying a second interpreter start.
The command learns where the suite is from ``BASISDIENSTE_URL`` (the gateway, read by the pytest plugin and the
control commands) and ``BASISDIENSTE_<SERVICE>_BASE_URL``. Not ``BASISDIENSTE_<SERVICE>_URL``: that one tells a suite
that the service runs elsewhere (kit/settings.py), and a suite the command starts itself would obey it.
"""

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import httpx
import uvicorn

from kit.logging import configure_logging
from kit.settings import SERVICE_NAMES, SuiteSettings

HOST = "127.0.0.1"
EXIT_SUITE_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_EXECUTABLE = 126
EXIT_NOT_FOUND = 127
# The shell's convention for "ended by signal n", so a CI log reads the same as when the command runs alone.
EXIT_SIGNAL_BASE = 128
STOP_TIMEOUT_SECONDS = 30.0


class SuiteFailed(Exception):
    """The suite did not come up healthy; the message says why."""


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> argparse.ArgumentParser:
    sub = commands.add_parser(
        "exec", help="start the suite, run a command against it, stop the suite",
        usage="basisdienste exec [options] -- <command> [args...]",
        description="Start the whole suite on a free port with a fresh data directory, wait until GET /health "
                    "passes, run the command with BASISDIENSTE_URL (the gateway) and BASISDIENSTE_<SERVICE>_BASE_URL "
                    "in its environment, stop the suite and exit with the command's exit code (128+n when a "
                    "signal n ended it, 127 when it does not exist). The suite's log goes to stderr.",
        epilog="example: basisdienste exec -- python -m pytest tests/integration -x")
    sub.add_argument("--port", type=int, default=0, help="port of the gateway on 127.0.0.1 (default: a free one)")
    sub.add_argument("--data-dir", type=Path,
                     help="keep the SQLite files here (default: a temporary directory, removed afterwards)")
    sub.add_argument("--database-url", help="PostgreSQL URL; every service gets its own schema in it (its state "
                                            "stays there: give a fresh database for a fresh run)")
    sub.add_argument("--log-level", default="WARNING", help="the suite's log level (default: %(default)s)")
    sub.add_argument("--startup-timeout", type=float, default=60.0, metavar="SECONDS",
                     help="give up when the suite is not healthy after this long (default: %(default)s)")
    sub.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- command", help="the command and its arguments")
    return sub


def service_environment(base: str) -> dict[str, str]:
    """The variables that tell the command where the suite is."""
    return {"BASISDIENSTE_URL": base,
            **{f"BASISDIENSTE_{name.upper()}_BASE_URL": f"{base}/{name}" for name in SERVICE_NAMES}}


def run(args: argparse.Namespace) -> int:
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        print("basisdienste exec: no command given; usage: basisdienste exec [options] -- <command> [args...]",
              file=sys.stderr)
        return EXIT_USAGE
    if not _findable(command[0]):
        # Before the suite starts: a typo should not cost a start-up and a shutdown.
        print(f"basisdienste exec: command not found: {command[0]}", file=sys.stderr)
        return EXIT_NOT_FOUND
    # Until the command runs, a SIGTERM (a CI job cancelled) stops the starting suite as Ctrl-C would.
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    scratch = None if args.data_dir else Path(tempfile.mkdtemp(prefix="basisdienste-exec-"))
    try:
        with _listening_socket(args.port) as sock:
            base = f"http://{HOST}:{sock.getsockname()[1]}"
            settings = SuiteSettings(data_dir=args.data_dir or scratch, log_level=args.log_level,
                                     public_base_url=base,
                                     **({"database_url": args.database_url} if args.database_url else {}))
            configure_logging(settings.log_level, settings.log_format)
            # The command owns stdout (a test report, a JSON document); the suite's log stays out of it.
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(sys.stderr)
            started = time.perf_counter()
            with _background_suite(settings, sock, base, timeout=args.startup_timeout):
                print(f"basisdienste exec: suite healthy at {base} after {time.perf_counter() - started:.2f} s; "
                      f"running {shlex.join(command)}", file=sys.stderr, flush=True)
                code = run_command(command, {**os.environ, **service_environment(base)})
            print(f"basisdienste exec: {command[0]} exited with {code}; suite stopped.", file=sys.stderr)
            return code
    except SuiteFailed as exc:
        print(f"basisdienste exec: {exc}", file=sys.stderr)
        return EXIT_SUITE_FAILED
    except OSError as exc:  # the port is taken, the data directory cannot be made...
        print(f"basisdienste exec: cannot start the suite: {exc}", file=sys.stderr)
        return EXIT_SUITE_FAILED
    except KeyboardInterrupt as exc:
        signum = exc.args[0] if exc.args else signal.SIGINT
        print("basisdienste exec: interrupted while the suite started; stopped.", file=sys.stderr)
        return EXIT_SIGNAL_BASE + signum
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def _findable(program: str) -> bool:
    if os.sep in program:
        return os.path.exists(program)
    return shutil.which(program) is not None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signum)


@contextlib.contextmanager
def _listening_socket(port: int) -> Iterator[socket.socket]:
    """Bound before the suite is built, so the port is known for its public URLs and nobody else can take it."""
    # IPPROTO_TCP named and TCP_NODELAY set (accepted connections inherit it): without them asyncio leaves Nagle
    # on, and every answer on a reused connection waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(2048)
        yield sock
    finally:
        sock.close()


@contextlib.contextmanager
def _background_suite(settings: SuiteSettings, sock: socket.socket, base: str, *, timeout: float) -> Iterator[None]:
    """The whole suite served from ``sock`` on a thread; yields once ``GET /health`` passes, stops it on exit."""
    from gateway.settings import GatewaySettings
    from gateway.suite import build_gateway

    app = build_gateway(GatewaySettings(suite=settings))
    config = uvicorn.Config(app, lifespan="on", log_config=None, access_log=False, server_header=False,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            # A loop of its own on this thread; uvicorn leaves the signals to the main thread there.
            with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
                runner.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported by the main thread, which decides the exit code
            failure.append(exc)

    thread = threading.Thread(target=serve, name="basisdienste-suite", daemon=True)
    thread.start()
    try:
        _wait_until_healthy(base, thread, failure, timeout)
        yield
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            server.force_exit = True
            thread.join(STOP_TIMEOUT_SECONDS)


def _wait_until_healthy(base: str, thread: threading.Thread, failure: list[BaseException], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    with httpx.Client(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                # uvicorn ends a failed lifespan with SystemExit after logging the cause; anything else is news.
                unexpected = [f for f in failure if not isinstance(f, SystemExit)]
                cause = (f": {type(unexpected[0]).__name__}: {unexpected[0]}" if unexpected
                         else " (its log above says why)")
                raise SuiteFailed(f"the suite stopped while starting{cause}")
            try:
                answer = client.get("/health")
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.json().get('detail', '')}"
            except (httpx.TransportError, ValueError) as exc:
                last = type(exc).__name__
            time.sleep(0.1)
    raise SuiteFailed(f"the suite was not healthy after {timeout:g} s (GET {base}/health: {last})")


def run_command(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` to its end and answer its exit code; signals for this process are passed on to it."""
    try:
        child = subprocess.Popen(command, env=env)  # noqa: S603 - running the user's command is the point
    except FileNotFoundError:
        print(f"basisdienste exec: command not found: {command[0]}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except OSError as exc:  # not executable, not a program
        print(f"basisdienste exec: cannot run {command[0]}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_NOT_EXECUTABLE

    def forward(signum: int, frame: FrameType | None) -> None:
        # Ctrl-C in a terminal reaches the whole foreground process group, the command included: passing it on
        # would give the command a second one (pytest, say, would then abort its teardown).
        if signum in (signal.SIGINT, signal.SIGHUP) and _in_terminal_foreground():
            return
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_SIGNAL_BASE - code if code < 0 else code


def _in_terminal_foreground() -> bool:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        try:
            fd = stream.fileno()
            if os.isatty(fd):
                return os.tcgetpgrp(fd) == os.getpgrp()
        except (OSError, ValueError, AttributeError):
            continue
    return False
