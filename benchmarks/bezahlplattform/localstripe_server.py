"""Starts localstripe (PyPI) bound to 127.0.0.1 (its own CLI listens on every interface), optionally with N payment
intents created in-process first. The store is pickled to this instance's own file on every write, exactly as
localstripe does it with /tmp/localstripe.pickle, so two instances do not overwrite each other's file."""

import argparse
import pickle
import types
from pathlib import Path

from aiohttp import web
from localstripe import server
from localstripe.resources import PaymentIntent, store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--preload", type=int, default=0)
    parser.add_argument("--store-file", type=Path, required=True)
    args = parser.parse_args()
    path: Path = args.store_file

    def dump_to_disk(self: object) -> None:
        with path.open("wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    # Bulk setup: no pickling per object while preloading, one dump at the end (setup speed only).
    store.dump_to_disk = types.MethodType(lambda self: None, store)  # type: ignore[method-assign]
    for _ in range(args.preload):
        PaymentIntent(amount=3000, currency="eur")
    store.dump_to_disk = types.MethodType(dump_to_disk, store)  # type: ignore[method-assign]
    store.dump_to_disk()
    web.run_app(server.app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
