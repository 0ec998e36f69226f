"""The suite's state on the command line: ``basisdienste export DIR`` (a running suite's snapshot),
``up --import DIR`` (start with a snapshot's state), ``up --export-on-exit DIR`` (write it when the suite stops) and
``up --seed DIR`` (a seed folder, gateway/seed_folder.py).

Files are checked before the suite starts; what only a service can check (a snapshot's revisions, an identity's
fields, a Leitweg-ID's check digit) is checked after the services started and before the suite answers anyone. A
refusal either way stops ``up`` with exit code 2 and the reason, and leaves the data as it was.
The gateway and kit modules are imported where used: ``basisdienste --help`` stays fast.
"""

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gateway.remote_controls import DEFAULT_URL, TOKEN_VARIABLE, URL_VARIABLE, ControlFailed, Controls

if TYPE_CHECKING:
    from gateway.app import Gateway

EXIT_REFUSED = 2
EXPORT_TIMEOUT_SECONDS = 300.0


class StartRefused(Exception):
    """``up`` will not start the suite with these files; the message says why."""


def add_up_options(up: argparse.ArgumentParser) -> None:
    up.add_argument("--import", dest="import_dir", type=Path, metavar="DIR",
                    help="start with the state of a snapshot directory (from `basisdienste export` or "
                         "--export-on-exit); replaces the data directory's state")
    up.add_argument("--export-on-exit", type=Path, metavar="DIR",
                    help="write the suite's state to DIR when it stops (Ctrl-C, SIGTERM)")
    up.add_argument("--seed", dest="seed_dir", type=Path, metavar="DIR",
                    help="register the test data of a seed folder (YAML/JSON: identities, clients, SAML SPs, "
                         "originators, authorities, Leitweg-IDs, FIT-Connect destinations) at start and after "
                         "every reset")


def add_export_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sub = commands.add_parser(
        "export", help="write a running suite's state to a snapshot directory",
        description="Write every service's data of a running suite (all tables, also signing keys) to DIR as JSON "
                    "lines per table with a manifest; `basisdienste up --import DIR` starts with it. An earlier "
                    "snapshot in DIR is replaced; any other non-empty directory is refused.")
    sub.add_argument("directory", type=Path, metavar="DIR")
    sub.add_argument("--url", default=None,
                     help=f"the suite's gateway (default: ${URL_VARIABLE} or {DEFAULT_URL}); "
                          f"${TOKEN_VARIABLE} is presented when set")


def run_export(args: argparse.Namespace) -> int:
    from gateway.snapshots import SnapshotError, write

    url = args.url or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    try:
        with Controls(url, control_token=os.environ.get(TOKEN_VARIABLE), timeout=EXPORT_TIMEOUT_SECONDS) as controls:
            doc = controls.call("GET", "/snapshot")
        rows = write(args.directory, doc)
    except ControlFailed as exc:
        print(f"basisdienste export: {exc}", file=sys.stderr)
        return exc.exit_code
    except (SnapshotError, OSError) as exc:
        print(f"basisdienste export: {exc}", file=sys.stderr)
        return 1
    print(f"Snapshot of {len(doc['services'])} services ({rows} rows) written to {args.directory}.")
    return 0


def _refuse(gateway: "Gateway", message: str) -> NoReturn:
    print(f"basisdienste up: {message}", file=sys.stderr, flush=True)
    gateway.exit_code = EXIT_REFUSED
    raise StartRefused(message)


def _exit(message: str) -> NoReturn:
    print(f"basisdienste up: {message}", file=sys.stderr, flush=True)
    sys.exit(EXIT_REFUSED)


def prepare_up(gateway: "Gateway", args: argparse.Namespace) -> None:
    """Check the files of --import, --seed and --export-on-exit now (exit 2), and give the gateway the work they
    ask for at start and stop."""
    from gateway import seed_folder, snapshots
    from kit.problems import Problem

    services, peers, clock = list(gateway.upstreams), gateway.peers, gateway.clock
    if args.import_dir:
        source = args.import_dir
        try:
            doc = snapshots.read(source)
        except snapshots.SnapshotError as exc:
            _exit(f"the snapshot was refused: {exc}")

        async def import_snapshot() -> None:
            try:
                result = await snapshots.restore(peers, services, clock, doc)
            except Problem as exc:
                _refuse(gateway, f"the snapshot {source} was refused: {exc.detail}")
            rows = sum(r.get("rows", 0) for r in result["services"].values())
            print(f"Imported the snapshot {source} ({rows} rows).", flush=True)

        gateway.on_start.append(import_snapshot)
    if args.seed_dir:
        try:
            seed_folder.read(args.seed_dir)
        except seed_folder.SeedFolderError as exc:
            _exit("the seed folder was refused:\n  " + "\n  ".join(exc.errors))
        loader = seed_folder.SeedFolderLoader(args.seed_dir, peers=peers, services=services, clock=clock)

        async def load_seed_folder() -> None:
            try:
                folder = await loader.at_start()
            except seed_folder.SeedFolderError as exc:
                _refuse(gateway, "the seed folder was refused (nothing of it was kept):\n  " + "\n  ".join(exc.errors))
            counts = ", ".join(f"{n} {section}" for section, n in folder.summary().items())
            print(f"Loaded the seed folder {args.seed_dir}: {counts}.", flush=True)

        gateway.on_start.append(load_seed_folder)
        gateway.around_reset.append(loader.around_reset)
    if args.export_on_exit:
        target = args.export_on_exit
        try:
            snapshots.check_target(target)
        except snapshots.SnapshotError as exc:
            _exit(f"--export-on-exit: {exc}")

        async def export_on_exit() -> None:
            try:
                rows = snapshots.write(target, await snapshots.take(peers, services, clock))
            except Exception as exc:  # the suite is stopping anyway: say what was not written
                print(f"basisdienste up: the snapshot was not written to {target}: {exc}", file=sys.stderr, flush=True)
                raise
            print(f"Snapshot ({rows} rows) written to {target}.", flush=True)

        gateway.on_stop.append(export_on_exit)
