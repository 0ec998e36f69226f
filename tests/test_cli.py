"""The README's first command, run as a user runs it: the suite comes up healthy, prints where it is, and
stops cleanly on Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
BASISDIENSTE = Path(sys.executable).with_name("basisdienste")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_starts_with_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", readme, re.S)
    assert first_block is not None
    commands = [line for line in first_block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].rstrip().endswith("basisdienste up")
    assert "pytest" in commands[1]


def test_help_explains_the_commands() -> None:
    result = subprocess.run([str(BASISDIENSTE), "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "basisdienste up" in result.stdout and "serve" in result.stdout
    serve = subprocess.run([str(BASISDIENSTE), "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert all(name in serve.stdout for name in ("nutzerkonto", "rechnungseingang", "gateway"))


@pytest.mark.slow
def test_basisdienste_up_serves_a_healthy_suite_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASISDIENSTE_")}
    args = [str(BASISDIENSTE), "up", "--port", str(port), "--data-dir", str(tmp_path / "data")]
    log = (tmp_path / "up.log").open("w")
    process = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.status_code == 200, (tmp_path / "up.log").read_text()
        assert sorted(s for s, v in health.json()["services"].items() if v["status"] == "pass") == [
            "bescheid", "bezahlplattform", "nutzerkonto", "postfach", "rechnungseingang"]
        deadline = time.monotonic() + 10
        while "Ctrl-C stops the suite" not in (tmp_path / "up.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    output = (tmp_path / "up.log").read_text()
    assert f"http://127.0.0.1:{port}/postfach" in output
    assert "Nutzerkonto:" in output
    assert "login erika / test  Erika Mustermann" in output
    assert output.rstrip().endswith("Basisdienste stopped.")
    assert sorted(p.name for p in (tmp_path / "data").glob("*.sqlite3")) == [
        "bescheid.sqlite3", "bezahlplattform.sqlite3", "nutzerkonto.sqlite3", "postfach.sqlite3",
        "rechnungseingang.sqlite3"]


def test_building_the_suite_leaves_the_heavy_libraries_to_their_first_use(tmp_path: Path) -> None:
    """fpdf2, pyHanko and aiohttp (0.5 s of imports) are loaded by the first notice, seal, verification or compose
    upstream, not by every `basisdienste up` (benchmarks/README.md: start-up)."""
    probe = ("import sys; from gateway.settings import GatewaySettings; from gateway.suite import build_gateway; "
             "build_gateway(GatewaySettings()); "
             "print(sorted(m for m in ('fpdf', 'pyhanko', 'aiohttp') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "BASISDIENSTE_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
