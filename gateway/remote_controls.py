"""``basisdienste reset | clock | faults | seed | mails | outbox``: the emulator controls of a running suite from a
shell or a CI script, over the gateway's ``/_emulator/...`` (README "Emulator controls").

Answers are printed as pretty JSON on stdout; a problem answer prints its detail on stderr and exits 1; a suite that
does not answer at all exits 2, so a script can tell "the suite said no" from "there is no suite".
This module imports no gateway or service code: the commands start in the time Python and httpx take.
"""

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

import httpx

from kit.settings import SERVICE_NAMES

DEFAULT_URL = "http://127.0.0.1:8000"
URL_VARIABLE = "BASISDIENSTE_URL"
TOKEN_VARIABLE = "BASISDIENSTE_CONTROL_TOKEN"  # noqa: S105 - the name of a variable, not a secret
EXIT_PROBLEM = 1
EXIT_UNREACHABLE = 2
# The services that capture e-mails instead of sending them (Postfach notifications, Rechnungseingang answers).
MAIL_SERVICES = ("postfach", "rechnungseingang")
TIMEOUT_SECONDS = 30.0


class ControlFailed(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Controls:
    """The suite's ``/_emulator`` over HTTP: JSON in, JSON out, problems raised as :class:`ControlFailed`."""

    def __init__(self, url: str, *, control_token: str | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        headers = {"Authorization": f"Bearer {control_token}"} if control_token else {}
        self.url = url.rstrip("/")
        try:
            self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)
        except httpx.InvalidURL as exc:
            raise ControlFailed(EXIT_UNREACHABLE, f"{url!r} is not a URL: {exc}") from exc

    def __enter__(self) -> "Controls":
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = self.http.request(method, f"/_emulator{path}", **kwargs)
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise ControlFailed(EXIT_UNREACHABLE, f"no suite answers at {self.url} ({type(exc).__name__}: {exc}). "
                                f"Start one with `basisdienste up`, or pass --url / set {URL_VARIABLE}.") from exc
        if answer.status_code >= 400:
            raise ControlFailed(EXIT_PROBLEM, describe_problem(answer))
        if not answer.content:
            return None
        try:
            return answer.json()
        except ValueError as exc:
            raise ControlFailed(EXIT_PROBLEM, f"{method} {answer.url} answered {answer.status_code} without JSON "
                                f"(is {self.url} a Basisdienste gateway?)") from exc


def describe_problem(answer: httpx.Response) -> str:
    """One readable paragraph of an RFC 9457 problem (status, title, detail, the fields in error)."""
    try:
        problem = answer.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        return f"{answer.request.method} {answer.url} answered {answer.status_code}: {answer.text[:300]}"
    text = f"{answer.status_code} {problem.get('title') or answer.reason_phrase}"
    if problem.get("detail"):
        text += f": {problem['detail']}"
    for error in problem.get("errors") or []:
        if isinstance(error, dict):
            text += f"\n  {error.get('pointer') or error.get('in') or ''}: {error.get('detail', error)}"
    return text


Handler = Callable[[Controls, argparse.Namespace], Any]


def _reset(controls: Controls, args: argparse.Namespace) -> Any:
    return controls.call("POST", "/reset")


def _clock(controls: Controls, args: argparse.Namespace) -> Any:
    if args.freeze:
        return controls.call("POST", "/clock", json={"freeze": args.freeze})
    if args.advance:
        return controls.call("POST", "/clock", json={"advance": args.advance})
    if args.release:
        return controls.call("POST", "/clock", json={"release": True})
    return controls.call("GET", "/clock")


def _faults(controls: Controls, args: argparse.Namespace) -> Any:
    if args.action == "add":
        spec = {"service": args.service, "operation": args.operation, "status": args.status, "times": args.times,
                "delay_ms": args.delay_ms, "probability": args.probability, "type": args.type,
                "detail": args.detail}
        return controls.call("POST", "/faults", json={k: v for k, v in spec.items() if v is not None})
    if args.action == "clear":
        params = {k: v for k, v in (("service", args.service), ("id", args.id)) if v}
        controls.call("DELETE", "/faults", params=params)
        # What is left, so the output says what the clearing did.
    return controls.call("GET", "/faults")


def _seed(controls: Controls, args: argparse.Namespace) -> Any:
    seed = controls.call("GET", "/seed")
    return seed.get(args.service) if args.service else seed


def _mails(controls: Controls, args: argparse.Namespace) -> Any:
    if args.service:
        return controls.call("GET", f"/{args.service}/mails")
    return {name: controls.call("GET", f"/{name}/mails") for name in MAIL_SERVICES}


def _outbox(controls: Controls, args: argparse.Namespace) -> Any:
    return controls.call("GET", f"/{args.service}/outbox", params={"limit": args.limit})


def add_parsers(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The control commands, each marked with its handler (``args.control``)."""
    # On the command and on its actions alike (`faults add --url ...`); SUPPRESS keeps an action's absent option
    # from overwriting the command's.
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--url", default=argparse.SUPPRESS,
                            help=f"the suite's gateway (default: ${URL_VARIABLE}, else {DEFAULT_URL})")
    connection.add_argument("--control-token", default=argparse.SUPPRESS,
                            help=f"bearer token for a suite on another host (default: ${TOKEN_VARIABLE})")

    def control(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, parents=[connection],
                                  description=f"{help[0].upper()}{help[1:]}. Prints the answer as JSON; a problem "
                                              "exits 1 (detail on stderr), no suite at the URL exits 2.")
        sub.set_defaults(control=handler)
        return sub

    control("reset", _reset, "empty every service, clear faults, release the clock, reload the seed data")

    clock = control("clock", _clock, "show the emulator clock, or freeze, advance or release it")
    change = clock.add_mutually_exclusive_group()
    change.add_argument("--freeze", metavar="ISO", help="stop the clock at this time, e.g. 2026-03-01T09:00:00+01:00")
    change.add_argument("--advance", metavar="DURATION", help="move it forward by an ISO 8601 duration, e.g. P3D")
    change.add_argument("--release", action="store_true", help="back to wall-clock time")

    faults = control("faults", _faults, "list, add or clear injected faults (errors, latency)")
    actions = faults.add_subparsers(dest="action", metavar="{list,add,clear}")
    actions.add_parser("list", help="the faults in place (the default)", parents=[connection])
    add = actions.add_parser("add", help="make an operation of a service fail or slow down", parents=[connection])
    add.add_argument("--service", required=True, choices=SERVICE_NAMES)
    add.add_argument("--operation", required=True,
                     help="a route's operationId in the service's OpenAPI, or a step such as outbox.deliver")
    add.add_argument("--status", type=int, help="answer with this HTTP status (400-599) as a problem")
    add.add_argument("--times", type=int, help="fire this many times, then disappear (default: until cleared)")
    add.add_argument("--delay-ms", type=int, help="wait this long before answering")
    add.add_argument("--probability", type=float, help="fire with this probability (0-1], default 1")
    add.add_argument("--type", help="problem type URI to answer with")
    add.add_argument("--detail", help="problem detail to answer with")
    clear = actions.add_parser("clear", help="clear all faults, those of one service, or one by id",
                               parents=[connection])
    clear.add_argument("--service", choices=SERVICE_NAMES)
    clear.add_argument("--id")

    seed = control("seed", _seed, "print the seeded test data (identities, clients and secrets, authorities)")
    seed.add_argument("--service", choices=SERVICE_NAMES, help="only this service's part")

    mails = control("mails", _mails, "print the e-mails the suite captured instead of sending them")
    mails.add_argument("--service", choices=MAIL_SERVICES, help="only this service's (default: both)")

    outbox = control("outbox", _outbox, "print what a service has sent or will send (webhooks, e-mails)")
    outbox.add_argument("--service", required=True, choices=SERVICE_NAMES)
    outbox.add_argument("--limit", type=int, default=100, help="newest this many (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    """Run the control command ``args`` names; answers the process exit code."""
    url = getattr(args, "url", None) or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    token = getattr(args, "control_token", None) or os.environ.get(TOKEN_VARIABLE) or None
    try:
        with Controls(url, control_token=token) as controls:
            result = args.control(controls, args)
    except ControlFailed as exc:
        print(f"basisdienste {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
