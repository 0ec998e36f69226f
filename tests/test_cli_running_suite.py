"""Against one real ``basisdienste up`` for the module (started from empty data on SQLite, as a newcomer's first
start): the control commands, the start-up banner (every URL it prints resolves), and the README's "first five
minutes" curl calls run as printed."""

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway import remote_controls
from gateway.cli import _parser
from kit.settings import SERVICE_NAMES
from tests import browser

ROOT = Path(__file__).resolve().parents[1]
README_HOST = "http://127.0.0.1:8000"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def suite_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("up")
    with browser.running_suite(directory, None) as base:
        yield base, directory


@pytest.fixture
def base(suite_dir: tuple[str, Path]) -> str:
    """The suite's URL, reset for this test (another test may have frozen the clock or left a fault)."""
    url = suite_dir[0]
    httpx.post(f"{url}/_emulator/reset", timeout=30).raise_for_status()
    return url


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object, str]:
    """One control command in this process (as `basisdienste ...` runs it): exit code, parsed stdout, stderr."""
    code = remote_controls.run(_parser().parse_args(list(argv)))
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_clock_shows_freezes_advances_and_releases(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, clock, _ = cli(capsys, "clock", "--url", base)
    assert code == 0 and clock["frozen"] is False
    code, clock, _ = cli(capsys, "clock", "--url", base, "--freeze", "2026-03-01T09:00:00+01:00")
    assert code == 0 and clock["frozen"] is True and clock["now"].startswith("2026-03-01T08:00:00")
    code, clock, _ = cli(capsys, "clock", "--url", base, "--advance", "P3D")
    assert code == 0 and clock["now"].startswith("2026-03-04T08:00:00")
    code, clock, _ = cli(capsys, "clock", "--url", base, "--release")
    assert code == 0 and clock["frozen"] is False and clock["offset_seconds"] == 0


def test_a_refused_control_prints_the_problem_on_stderr_and_exits_1(
        base: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "clock", "--url", base, "--advance", "P1M")
    assert code == 1 and out is None
    assert "422 Validation failed" in err and "/advance" in err and "years and months" in err
    code, out, err = cli(capsys, "faults", "clear", "--url", base, "--id", "no-such-fault")
    assert code == 1 and "404 Not Found: No fault with id no-such-fault." in err


def test_faults_add_list_and_clear(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, fault, _ = cli(capsys, "faults", "add", "--url", base, "--service", "postfach", "--operation", "health",
                         "--status", "503", "--times", "1")
    assert code == 0 and fault["service"] == "postfach" and fault["status"] == 503 and fault["times"] == 1
    assert httpx.get(f"{base}/postfach/health").status_code == 503
    assert httpx.get(f"{base}/postfach/health").status_code == 200  # fired once, gone
    code, fault, _ = cli(capsys, "faults", "add", "--url", base, "--service", "bescheid", "--operation", "health",
                         "--delay-ms", "1")
    assert code == 0
    code, faults, _ = cli(capsys, "faults", "--url", base)
    assert [f["id"] for f in faults] == [fault["id"]]
    code, left, _ = cli(capsys, "faults", "clear", "--url", base, "--service", "bescheid")
    assert code == 0 and left == []


def test_reset_seed_mails_and_outbox(base: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASISDIENSTE_URL", base)  # the default of --url, as inside `basisdienste exec`
    code, seed, _ = cli(capsys, "seed")
    assert code == 0 and set(SERVICE_NAMES) <= set(seed)
    code, part, _ = cli(capsys, "seed", "--service", "rechnungseingang")
    assert code == 0 and part == seed["rechnungseingang"]
    code, mails, _ = cli(capsys, "mails")
    assert code == 0 and mails == {"postfach": [], "rechnungseingang": []}
    deliver_a_notice(base)
    code, mails, _ = cli(capsys, "mails", "--service", "postfach")
    assert code == 0 and [m["to"] for m in mails] == ["erika.mustermann@example.org"]
    code, outbox, _ = cli(capsys, "outbox", "--service", "postfach", "--limit", "5")
    assert code == 0 and [m["target"] for m in outbox] == ["erika.mustermann@example.org"]
    code, reset, _ = cli(capsys, "reset")
    assert code == 0 and set(reset["services"]) == set(SERVICE_NAMES)
    code, mails, _ = cli(capsys, "mails", "--service", "postfach")
    assert code == 0 and mails == []


def test_an_unreachable_suite_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{browser.free_port()}"
    code, out, err = cli(capsys, "reset", "--url", url)
    assert code == 2 and out is None
    assert f"no suite answers at {url}" in err and "basisdienste up" in err


def test_the_control_token_is_presented(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json={"now": "x", "frozen": False, "offset_seconds": 0})

    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda **kw: real_client(transport=httpx.MockTransport(answer), **kw))
    monkeypatch.setenv("BASISDIENSTE_CONTROL_TOKEN", "from-the-environment")
    assert remote_controls.run(_parser().parse_args(["clock", "--url", "http://suite.example"])) == 0
    assert remote_controls.run(_parser().parse_args(["clock", "--url", "http://suite.example",
                                                     "--control-token", "given"])) == 0
    assert seen == ["Bearer from-the-environment", "Bearer given"]


def deliver_a_notice(base: str) -> None:
    token = httpx.post(f"{base}/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                       data={"grant_type": "client_credentials", "resource": "bescheid"}).json()["access_token"]
    answer = httpx.post(f"{base}/bescheid/api/v1/bescheide", headers={"Authorization": f"Bearer {token}"}, json={
        "authority": "stadt-koblenz", "template": "stadt-koblenz/bewohnerparkausweis", "aktenzeichen": "T-1",
        "addressee": {"name": "Erika Mustermann", "postkorbHandle": "14233873-c709-524f-8de8-2bb055f50178"},
        "tenor": "Erteilt.", "begruendung": "Zone A.", "rechtsbehelfsbelehrung": "Widerspruch binnen eines Monats."},
        timeout=30)
    assert answer.status_code == 201, answer.text


# --- the banner ---------------------------------------------------------------------------------------------------

URL = re.compile(r"(POST )?(https?://[^\s<>()\[\],;]+)")


def banner_of(directory: Path) -> str:
    log = directory / "up.log"
    deadline = time.monotonic() + 20
    while "Ctrl-C stops the suite" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text()
    return text[text.index("Basisdienste is up"):text.index("Ctrl-C stops the suite")]


def test_every_url_the_banner_prints_resolves(suite_dir: tuple[str, Path]) -> None:
    directory = suite_dir[1]
    banner = banner_of(directory)
    urls = URL.findall(banner)
    assert len(urls) >= 15, banner
    broken = []
    with httpx.Client(timeout=30) as http:
        for post, url in urls:
            if post:  # an endpoint to POST to: it must exist (a refusal of the empty request is fine)
                status = http.post(url).status_code
                if status in (404, 405):
                    broken.append(f"POST {url} → {status}")
            elif (status := http.get(url).status_code) >= 400:
                broken.append(f"GET {url} → {status}")
    assert broken == [], banner


def test_the_banner_shows_what_a_newcomer_needs_first(suite_dir: tuple[str, Path]) -> None:
    base, directory = suite_dir
    banner = banner_of(directory)
    seed = httpx.get(f"{base}/_emulator/seed").json()
    assert "login erika / test  Erika Mustermann" in banner
    assert "client demo-fachverfahren / demo-fachverfahren-secret" in banner
    for originator in seed["bezahlplattform"]["originators"]:
        assert f"originator/endpoint {originator['originatorId']}/{originator['endpoints'][0]['endpointId']}" in banner
        assert f"HTTP Basic {originator['basic']['username']} / {originator['basic']['password']}" in banner
    for authority in seed["rechnungseingang"]["authorities"]:
        for leitweg_id in authority["leitweg_ids"]:
            assert f"Leitweg-ID {leitweg_id}  {authority['name']}" in banner
    fitconnect = seed["postfach"]["fitconnect"]
    for destination in fitconnect["destinations"]:
        assert f"destination {destination['destinationId']}  {destination['name']}" in banner
    assert "FIT-Connect sender fitconnect-sender / fitconnect-sender-secret" in banner
    assert "subscriber fitconnect-subscriber-koblenz / fitconnect-subscriber-koblenz-secret" in banner


# --- README: "Die ersten fünf Minuten" ----------------------------------------------------------------------------

def first_five_minutes() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Die ersten fünf Minuten"):]
    section = section[:section.index("\n## ", 1)]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1)


def test_the_first_five_minutes_call_every_service() -> None:
    script = first_five_minutes()
    calls = [line for line in script.splitlines() if "curl " in line]
    assert len(calls) == len(SERVICE_NAMES)
    for name in SERVICE_NAMES:
        assert f"{README_HOST}/{name}/" in script, name


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
def test_the_first_five_minutes_work_as_printed(base: str) -> None:
    # As copied into a shell, but every curl fails on an HTTP error and each answer ends on its own line.
    script = ("set -euo pipefail\ncurl() { command curl --fail-with-body \"$@\"; echo; }\n"
              + first_five_minutes().replace(README_HOST, base))
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})
    assert done.returncode == 0, done.stdout + done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    routes, payment, notice, invoices = answers
    assert routes["routes"][0]["destinationName"] == "Stadt Koblenz, Bürgerbüro"
    assert payment["paymentInformation"]["status"] == "INITIAL"
    assert payment["paymentRequest"]["grosAmount"] == 30.7  # decimal euros, as XBezahldienste has them
    assert httpx.get(payment["paymentInformation"]["transactionRedirectUrl"]).status_code == 200
    assert notice["delivery"]["status"] == "delivered"
    assert invoices["authority"]["name"] == "Stadt Koblenz"
    mails = httpx.get(f"{base}/_emulator/postfach/mails").json()
    assert [m["to"] for m in mails] == ["erika.mustermann@example.org"]
    # "`basisdienste clock --advance P4D` makes the notice bekannt gegeben" (§ 9 OZG: made available + 4 days)
    assert remote_controls.run(_parser().parse_args(["clock", "--url", base, "--advance", "P4D"])) == 0
    token = httpx.post(f"{base}/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                       data={"grant_type": "client_credentials", "resource": "bescheid"}).json()["access_token"]
    read = httpx.get(notice["links"]["self"], headers={"Authorization": f"Bearer {token}"}).json()
    assert read["delivery"]["bekanntgabe"]["status"] == "bekanntgegeben"
