"""The pytest plugin as a user's project meets it: its fixtures for the controls, the reset between tests and its
opt-out, suites with other settings, and clear usage errors before any test runs."""

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from harness.controls import Clock, ControlError, Controls, Faults, iso_duration
from harness.suite import Suite

BERLIN = dt.timezone(dt.timedelta(hours=1))


def test_the_clock_freezes_and_advances_by_durations(basisdienste_clock: Clock) -> None:
    start = dt.datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN)
    basisdienste_clock.freeze(start)
    assert basisdienste_clock.now() == start
    basisdienste_clock.advance("P3D")
    basisdienste_clock.advance(dt.timedelta(hours=2, minutes=15))
    assert basisdienste_clock.now() == start + dt.timedelta(days=3, hours=2, minutes=15)
    assert basisdienste_clock.state()["frozen"] is True
    basisdienste_clock.release()
    assert basisdienste_clock.state()["frozen"] is False


def test_durations_are_iso_8601() -> None:
    assert iso_duration(dt.timedelta(days=1, hours=2, seconds=4.5)) == "P1DT2H4.5S"
    assert iso_duration(dt.timedelta()) == "P0D"
    with pytest.raises(ValueError):
        iso_duration(dt.timedelta(seconds=-1))


def test_a_fault_fails_the_named_operation_and_is_cleared(basisdienste_faults: Faults,
                                                          basisdienste_http: httpx.Client) -> None:
    basisdienste_faults.add("nutzerkonto", "oidc_token", status=503, times=1)
    assert [f["operation"] for f in basisdienste_faults.list()] == ["oidc_token"]
    answer = basisdienste_http.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                                    data={"grant_type": "client_credentials"})
    assert answer.status_code == 503 and answer.headers.get("x-emulator-fault")
    again = basisdienste_http.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                                   data={"grant_type": "client_credentials"})
    assert again.status_code == 200


def test_seed_and_control_errors(basisdienste_seed: dict, basisdienste_controls: Controls) -> None:
    assert {"nutzerkonto", "postfach", "bezahlplattform", "bescheid", "rechnungseingang"} <= set(basisdienste_seed)
    with pytest.raises(ControlError) as refused:
        basisdienste_controls.post("/_emulator/clock", {"advance": "P1Y"})
    assert refused.value.status_code == 422


@pytest.mark.basisdienste(environment={"BASISDIENSTE_NUTZERKONTO_ACCESS_TOKEN_TTL_SECONDS": "60"})
def test_a_marker_gives_a_suite_with_other_settings(basisdienste: Suite, basisdienste_session: Suite) -> None:
    assert basisdienste.url != basisdienste_session.url
    with basisdienste.http() as http:
        token = http.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                          data={"grant_type": "client_credentials"})
    assert token.json()["expires_in"] == 60


PROJECT_TESTS = '''
import pytest

def _identities(suite):
    return {i["id"] for i in suite.controls.get("/_emulator/nutzerkonto/identities")}

def test_makes_state(basisdienste):
    basisdienste.controls.post("/_emulator/nutzerkonto/identities", {
        "id": "lena-test", "display_name": "Lena Test", "username": "lena.test", "methods": ["eID"],
        "attributes": {"givenName": "Lena", "surname": "Test", "birthdate": "1991-01-01"}})
    assert "lena-test" in _identities(basisdienste)

@pytest.mark.basisdienste(reset=False)
def test_keeps_it_with_reset_false(basisdienste):
    assert "lena-test" in _identities(basisdienste)

def test_a_reset_removes_it(basisdienste):
    assert "lena-test" not in _identities(basisdienste)
'''


def run_pytest(directory: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *args],
                          cwd=directory, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_reset_between_tests_and_its_opt_out(tmp_path: Path) -> None:
    (tmp_path / "test_project.py").write_text(PROJECT_TESTS)
    done = run_pytest(tmp_path, "test_project.py")
    assert done.returncode == 0 and "3 passed" in done.stdout, done.stdout[-3000:]


def test_an_unknown_marker_option_stops_the_run_before_any_test(tmp_path: Path) -> None:
    (tmp_path / "test_typo.py").write_text(textwrap.dedent('''
        import pytest

        @pytest.mark.basisdienste(rest=False)
        def test_x(basisdienste):
            pass
    '''))
    done = run_pytest(tmp_path, "test_typo.py")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "unknown option ['rest'] of @pytest.mark.basisdienste" in done.stderr and "reset" in done.stderr


def test_an_unreachable_suite_url_stops_the_run_before_any_test(tmp_path: Path) -> None:
    (tmp_path / "test_remote.py").write_text("def test_x(basisdienste):\n    pass\n")
    done = run_pytest(tmp_path, "test_remote.py", "--basisdienste-url", "http://127.0.0.1:9")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "--basisdienste-url: no healthy suite at http://127.0.0.1:9" in done.stderr
    assert "passed" not in done.stdout and "failed" not in done.stdout
