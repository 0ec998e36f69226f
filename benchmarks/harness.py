"""What a test pays before its first request (issue 12's benchmark): the whole suite started on empty data at the
services' default key sizes (what 224 tests each did before the harness: migrations, seeds, nine RSA-4096
FIT-Connect keys), the same with the test profile's small keys, a start from the run's template (what a suite of a
test's own costs now), and ``POST /_emulator/reset`` on a running suite (what every other test costs).

Interleaved rounds, medians and ratios against the fresh start in the same run, on SQLite and, with
``--database-url``, on PostgreSQL (template databases copied with ``CREATE DATABASE ... TEMPLATE``).

    .venv/bin/python -m benchmarks.harness [--rounds 5] [--resets 50] [--database-url postgresql://...]
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from harness.suite import EmbeddedSuite
from harness.template import Storage, Template

# The services' own defaults, which the test profile lowers to 2048.
DEFAULT_KEYS = {"BASISDIENSTE_NUTZERKONTO_SIGNING_KEY_BITS": "3072",
                "BASISDIENSTE_POSTFACH_FITCONNECT_KEY_BITS": "4096"}


def _fresh(root: Path, database_url: str | None, name: str, environment: dict[str, str]) -> tuple[float, Storage]:
    """The whole suite on empty data, started, its keys made (a stop waits for them)."""
    template = Template(root / name, database_url=database_url)
    storage = Storage(template.data_dir,
                      template.new_database("bd_bench") if database_url else None)
    started = time.perf_counter()
    EmbeddedSuite(storage, environment).stop()
    return time.perf_counter() - started, storage


def measure(rounds: int, resets: int, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="basisdienste-bench-") as tmp:
        root = Path(tmp)
        template = Template(root / "template", database_url=database_url)
        build_started = time.perf_counter()
        template.ensure(lambda storage: EmbeddedSuite(storage).stop())
        build = time.perf_counter() - build_started
        fresh_default, fresh, from_template = [], [], []
        leftovers: list[Storage] = []
        for index in range(rounds):
            seconds, storage = _fresh(root, database_url, f"default-{index}", DEFAULT_KEYS)
            fresh_default.append(seconds)
            leftovers.append(storage)
            seconds, storage = _fresh(root, database_url, f"fresh-{index}", {})
            fresh.append(seconds)
            leftovers.append(storage)
            started = time.perf_counter()
            storage = template.copy(root / f"copy-{index}")
            suite = EmbeddedSuite(storage)
            from_template.append(time.perf_counter() - started)
            if index == 0:
                suite.controls.reset()  # the first reset warms caches and connections
                reset_times = []
                for _ in range(resets):
                    started = time.perf_counter()
                    suite.controls.reset()
                    reset_times.append(time.perf_counter() - started)
            suite.stop()
            leftovers.append(storage)
        for storage in leftovers:
            template.drop_database(storage)
        template.drop()
    before = statistics.median(fresh_default)
    return {
        "database": "postgresql" if database_url else "sqlite",
        "template_build_s": round(build, 3),
        "fresh_default_keys_median_s": round(before, 3),
        "fresh_small_keys_median_s": round(statistics.median(fresh), 3),
        "template_start_median_s": round(statistics.median(from_template), 3),
        "reset_median_ms": round(statistics.median(reset_times) * 1000, 1),
        "small_keys_vs_before": round(statistics.median(fresh) / before, 3),
        "template_start_vs_before": round(statistics.median(from_template) / before, 3),
        "reset_vs_before": round(statistics.median(reset_times) / before, 4),
        "rounds": rounds, "resets": resets,
        "fresh_default_keys_s": [round(x, 3) for x in fresh_default],
        "fresh_small_keys_s": [round(x, 3) for x in fresh],
        "template_s": [round(x, 3) for x in from_template],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--resets", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server (default: SQLite files)")
    parser.add_argument("--results-dir", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    result = measure(args.rounds, args.resets, args.database_url)
    print(json.dumps(result, indent=2))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (args.results_dir / f"harness-{result['database']}-{stamp}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
