"""``basisdienste exec`` as a CI job runs it: the command sees where the suite is, its exit code (or the signal that
ended it) becomes exec's, and the fresh data directory is gone afterwards. Each of the first two starts a suite from
empty data, as a user's run does (SQLite: exec makes its own data, whatever the test database is)."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gateway.exec import SuiteFailed, _wait_until_healthy
from tests.browser import free_port
from tests.shared_suite import suite_variables

BASISDIENSTE = Path(sys.executable).with_name("basisdienste")


def exec_environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASISDIENSTE_")}
    env.update(suite_variables())  # small keys: the destinations' keys are made at first start
    env["TMPDIR"] = str(tmp_path / "tmp")  # where exec's own data directory is made, to see it removed
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env["PATH"] = f"{BASISDIENSTE.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_exec(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = exec_environment(tmp_path)
    return subprocess.run([str(BASISDIENSTE), "exec", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path, env=env)


PROBE = textwrap.dedent("""
    import json, os, pathlib, sys, httpx
    names = ("nutzerkonto", "postfach", "bezahlplattform", "bescheid", "rechnungseingang")
    base = os.environ["BASISDIENSTE_URL"]
    seen = {"base": base, "health": httpx.get(base + "/health").json()["status"],
            "services": {n: httpx.get(os.environ[f"BASISDIENSTE_{n.upper()}_BASE_URL"] + "/health").status_code
                         for n in names},
            "remote_service_urls": sorted(k for k in os.environ if k.endswith("_URL") and
                                          k.removeprefix("BASISDIENSTE_").removesuffix("_URL").lower() in names),
            "data": sorted(p.name for p in pathlib.Path(os.environ["TMPDIR"]).glob("basisdienste-exec-*/*.sqlite3"))}
    print(json.dumps(seen))
    sys.exit(7)
""")


@pytest.mark.slow
def test_exec_gives_the_command_the_suite_and_its_exit_code_and_removes_the_data(tmp_path: Path) -> None:
    import json

    done = run_exec(tmp_path, "--", sys.executable, "-c", PROBE)
    assert done.returncode == 7, done.stderr
    seen = json.loads(done.stdout)  # the command's stdout is its own: the suite logs to stderr
    assert seen["base"].startswith("http://127.0.0.1:")
    assert seen["health"] == "pass"
    assert seen["services"] == dict.fromkeys(
        ("nutzerkonto", "postfach", "bezahlplattform", "bescheid", "rechnungseingang"), 200)
    assert seen["remote_service_urls"] == []  # BASISDIENSTE_<SERVICE>_URL would mean "runs elsewhere"
    assert "postfach.sqlite3" in seen["data"]
    assert list((tmp_path / "tmp").glob("basisdienste-exec-*")) == []
    assert f"suite healthy at {seen['base']}" in done.stderr


@pytest.mark.slow
def test_exec_passes_sigterm_on_reports_it_as_128_plus_n_and_keeps_a_given_data_dir(tmp_path: Path) -> None:
    """A cancelled CI job: exec gets SIGTERM, passes it to the command, and exits as the command did."""
    # The command also calls a control command through BASISDIENSTE_URL, as a test script would.
    script = "basisdienste clock --advance P1D > clock.json && touch ready && exec sleep 60"
    env = exec_environment(tmp_path)
    args = [str(BASISDIENSTE), "exec", "--data-dir", str(tmp_path / "kept"), "--", "sh", "-c", script]
    process = subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "ready").exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (tmp_path / "ready").exists(), process.stderr.read() if process.poll() is not None else "timeout"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "sh exited with 143; suite stopped" in process.stderr.read()
    assert '"offset_seconds": 86400.0' in (tmp_path / "clock.json").read_text()
    assert (tmp_path / "kept" / "postfach.sqlite3").exists()


def test_exec_without_a_command_or_with_a_missing_one_fails_before_starting_the_suite(tmp_path: Path) -> None:
    missing = run_exec(tmp_path, "--", "no-such-command-4711", timeout=30)
    assert missing.returncode == 127
    assert "command not found: no-such-command-4711" in missing.stderr
    assert "suite healthy" not in missing.stderr
    nothing = run_exec(tmp_path, timeout=30)
    assert nothing.returncode == 2
    assert "no command given" in nothing.stderr


@pytest.mark.slow
def test_exec_gives_up_with_a_clear_message_when_the_suite_does_not_come_up(tmp_path: Path) -> None:
    # Nothing listens on port 1: every service's database is unreachable, the suite never gets healthy.
    done = run_exec(tmp_path, "--startup-timeout", "20", "--database-url", "postgresql://postgres@127.0.0.1:1/x",
                    "--", "true")
    assert done.returncode == 1
    assert "basisdienste exec: the suite stopped while starting (its log above says why)" in done.stderr
    assert "suite healthy" not in done.stderr
    assert list((tmp_path / "tmp").glob("basisdienste-exec-*")) == []


def test_a_suite_that_never_answers_health_is_given_up_after_the_timeout() -> None:
    starting = threading.Thread(target=time.sleep, args=(5,), daemon=True)  # a start-up that takes too long
    starting.start()
    base = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SuiteFailed, match=r"not healthy after 0.3 s \(GET .*/health: ConnectError\)"):
        _wait_until_healthy(base, starting, [], 0.3)
