"""What browser tests share: Debian's Chromium for Playwright, and ``basisdienste up`` started as a user starts it,
on a free port (the ``running_suite`` fixture in tests/conftest.py)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.shared_suite import suite_variables

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BASISDIENSTE = Path(sys.executable).with_name("basisdienste")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_suite(tmp_path: Path, database_url: str | None, *, data_dir: Path | None = None,
                  environment: dict[str, str] | None = None) -> Iterator[str]:
    """``basisdienste up`` as a user starts it, on a free port (the test profile plus ``environment``); answers
    its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASISDIENSTE_")}
    env.update(suite_variables(**(environment or {})))  # among them: no SMTP listener (2525 may be taken)
    args = [str(BASISDIENSTE), "up", "--port", str(port), "--data-dir", str(data_dir or tmp_path / "data")]
    if database_url:
        args += ["--database-url", database_url]
    log_path = tmp_path / "up.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log_path.read_text()
                time.sleep(0.2)
            else:
                pytest.fail(f"the suite did not come up:\n{log_path.read_text()}")
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
