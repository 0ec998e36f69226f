"""The suite's state on the command line, run as a user runs it: ``basisdienste export DIR`` from a running suite,
``basisdienste up --import DIR`` with it on other data, ``--export-on-exit DIR`` when that suite stops, and the
refusals that stop ``up`` with exit code 2 and the reason (a broken snapshot, a seed folder with a bad entry)."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.template import Storage, Template
from tests import browser
from tests.shared_suite import suite_variables

pytestmark = pytest.mark.slow

MARKER = {"id": "cli-marker", "display_name": "CLI Marker", "username": "cli-marker", "methods": ["Benutzername"],
          "attributes": {"givenName": "Cli", "surname": "Marker"}}


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASISDIENSTE_")}
    env.update(suite_variables())
    return env


def storage_args(storage: Storage) -> list[str]:
    args = ["--data-dir", str(storage.data_dir)]
    return args + (["--database-url", storage.database_url] if storage.database_url else [])


def basisdienste(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(browser.BASISDIENSTE), *args], cwd=cwd, env=environment(), capture_output=True,
                          text=True, timeout=timeout)


@contextlib.contextmanager
def up(tmp_path: Path, storage: Storage, *extra: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``basisdienste up`` with ``extra`` options on a free port; stopped with Ctrl-C (SIGINT) afterwards."""
    port = browser.free_port()
    log_path = tmp_path / f"up-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([str(browser.BASISDIENSTE), "up", "--port", str(port), *storage_args(storage),
                                    *extra], cwd=tmp_path, env=environment(), stdout=log, stderr=subprocess.STDOUT,
                                   text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, process, log_path)
            yield base, process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_healthy(base: str, process: subprocess.Popen[str], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, log_path.read_text()
        time.sleep(0.1)
    pytest.fail(f"the suite did not come up:\n{log_path.read_text()}")


def identity_ids(base: str) -> set[str]:
    return {i["id"] for i in httpx.get(f"{base}/_emulator/nutzerkonto/identities", timeout=10).json()}


@pytest.fixture(scope="module")
def source(basisdienste_template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One ``basisdienste up`` for the module, holding a marker identity: the suite the snapshots are taken of."""
    directory = tmp_path_factory.mktemp("source")
    storage = basisdienste_template.copy(directory / "data")
    try:
        with browser.running_suite(directory, storage.database_url, data_dir=storage.data_dir) as base:
            made = httpx.post(f"{base}/_emulator/nutzerkonto/identities", json=MARKER, timeout=10)
            assert made.status_code == 201, made.text
            yield base
    finally:
        basisdienste_template.drop_database(storage)


@pytest.fixture(scope="module")
def exported(source: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    directory = tmp_path_factory.mktemp("export")
    return directory / "snap", basisdienste("export", str(directory / "snap"), "--url", source, cwd=directory)


@pytest.fixture
def snapshot(exported: tuple[Path, Any], tmp_path: Path) -> Path:
    """A copy of the module's snapshot directory, for this test to change."""
    copy = tmp_path / "snap"
    shutil.copytree(exported[0], copy)
    return copy


def test_export_writes_a_snapshot_directory(exported: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    directory, result = exported
    assert result.returncode == 0, result.stderr
    assert "Snapshot of 5 services" in result.stdout and str(directory) in result.stdout
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["format"] == "basisdienste-snapshot" and manifest["version"] == 1
    assert set(manifest["services"]) == {"nutzerkonto", "postfach", "bezahlplattform", "bescheid", "rechnungseingang"}
    for service, part in manifest["services"].items():
        assert part["revisions"], service
        for table, info in part["tables"].items():
            lines = (directory / service / f"{table}.jsonl").read_text().splitlines()
            assert len(lines) == info["rows"], (service, table)
    rows = (directory / "nutzerkonto" / "identities.jsonl").read_text().splitlines()
    assert any(json.loads(line)["id"] == "cli-marker" for line in rows)


def test_export_replaces_an_earlier_snapshot_but_nothing_else(source: str, snapshot: Path, tmp_path: Path) -> None:
    again = basisdienste("export", str(snapshot), "--url", source, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]  # nothing left beside it
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    refused = basisdienste("export", str(tmp_path / "notes"), "--url", source, cwd=tmp_path)
    assert refused.returncode == 1 and "not overwriting" in refused.stderr
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"
    unreachable = basisdienste("export", str(tmp_path / "other"), "--url", f"http://127.0.0.1:{browser.free_port()}",
                               cwd=tmp_path)
    assert unreachable.returncode != 0 and "no suite answers" in unreachable.stderr
    assert not (tmp_path / "other").exists()


def test_up_imports_a_snapshot_and_exports_on_exit(snapshot: Path, basisdienste_factory: Any,
                                                  tmp_path: Path) -> None:
    after = tmp_path / "after-exit"
    with up(tmp_path, basisdienste_factory.storage(), "--import", str(snapshot),
            "--export-on-exit", str(after)) as (base, process):
        assert "cli-marker" in identity_ids(base)
        httpx.post(f"{base}/_emulator/nutzerkonto/identities", timeout=10, json={
            **MARKER, "id": "made-after-import", "username": "made-after-import"}).raise_for_status()
    assert process.returncode == 0
    identities = (after / "nutzerkonto" / "identities.jsonl").read_text().splitlines()
    assert {"cli-marker", "made-after-import"} <= {json.loads(line)["id"] for line in identities}


def test_up_refuses_a_truncated_snapshot_before_it_starts(snapshot: Path, tmp_path: Path) -> None:
    table = snapshot / "bescheid" / "templates.jsonl"
    lines = table.read_text().splitlines()
    table.write_text("\n".join([*lines[:-1], lines[-1][:20]]) + "\n")
    started = basisdienste("up", "--port", str(browser.free_port()), "--data-dir", str(tmp_path / "fresh"),
                           "--import", str(snapshot), cwd=tmp_path)
    assert started.returncode == 2, started.stderr
    assert f"the snapshot was refused: {table} line {len(lines)}: not JSON" in started.stderr

    (snapshot / "manifest.json").write_text(json.dumps({"format": "basisdienste-snapshot", "version": 0}))
    started = basisdienste("up", "--port", str(browser.free_port()), "--data-dir", str(tmp_path / "fresh"),
                           "--import", str(snapshot), cwd=tmp_path)
    assert started.returncode == 2 and "snapshot format version 0 is older" in started.stderr, started.stderr
    assert not list((tmp_path / "fresh").glob("*.sqlite3"))  # refused before any service started


def test_up_refuses_a_snapshot_of_other_migrations(snapshot: Path, basisdienste_factory: Any,
                                                  tmp_path: Path) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    manifest["services"]["bezahlplattform"]["revisions"] = ["bp_0000"]
    (snapshot / "manifest.json").write_text(json.dumps(manifest))
    started = basisdienste("up", "--port", str(browser.free_port()), *storage_args(basisdienste_factory.storage()),
                           "--import", str(snapshot), cwd=tmp_path)
    assert started.returncode == 2, started.stdout + started.stderr
    assert "bezahlplattform" in started.stderr and "bp_0000" in started.stderr, started.stderr
    assert "nothing was changed" in started.stderr


def test_up_with_a_bad_seed_folder_exits_with_the_reason(tmp_path: Path, basisdienste_factory: Any) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "broken.yaml").write_text("identities: [\n")
    started = basisdienste("up", "--port", str(browser.free_port()), "--data-dir", str(tmp_path / "fresh"),
                           "--seed", str(seed), cwd=tmp_path)
    assert started.returncode == 2
    assert f"the seed folder was refused:\n  {seed / 'broken.yaml'}: not valid YAML" in started.stderr

    # An entry only the service can judge: refused after the services started, and the suite never answers.
    (seed / "broken.yaml").unlink()
    (seed / "invoicing.yaml").write_text(
        "leitweg_ids:\n  - {leitweg_id: 04011000-12345-34, ars: '071110000000'}\n")
    started = basisdienste("up", "--port", str(browser.free_port()), *storage_args(basisdienste_factory.storage()),
                           "--seed", str(seed), cwd=tmp_path)
    assert started.returncode == 2, started.stdout + started.stderr
    assert f"{seed / 'invoicing.yaml'}: leitweg_ids[0].leitweg_id:" in started.stderr, started.stderr
    assert "Die Prüfziffer der Leitweg-ID „04011000-12345-34“ ist falsch" in started.stderr
