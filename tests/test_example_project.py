"""A project outside this repository that depends on basisdienste, as a user's would: basisdienste is installed
into a fresh virtual environment (a regular wheel install, not editable), the project writes three tests with the
pytest plugin and its actors — OIDC login and Postfach read, a payment, an invoice — and they pass in process
(the plugin starts the suite) and against ``basisdienste exec`` (the plugin finds it through BASISDIENSTE_URL).

basisdienste's own dependencies are not downloaded again: the new environment sees this environment's
site-packages through a ``.pth`` line (only their directory: this checkout's editable install is not active
there), so the test measures the package and its plugin, not the package index.
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "testdata" / "xrechnung"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/testdata/xrechnung")
INVOICE = CORPUS / "business-cases/standard/01.01a-INVOICE_ubl.xml"

CONFTEST = '''
import re
from pathlib import Path

import pytest


@pytest.fixture
def koblenz_invoice() -> bytes:
    """An XRechnung of the KoSIT testsuite, addressed to the seeded Leitweg-ID of Stadt Koblenz (BT-10)."""
    xml = (Path(__file__).parent / "invoice.xml").read_bytes()
    return re.sub(rb"<cbc:BuyerReference>[^<]*</cbc:BuyerReference>",
                  b"<cbc:BuyerReference>071110000000-0001-33</cbc:BuyerReference>", xml, count=1)
'''

TESTS = '''
from harness.actors import Mailbox, OnlineService, pay, post_invoice, postfach_login, supplier_login


def test_a_notice_reaches_the_citizens_postfach(basisdienste_http, wait_for):
    erika = Mailbox(basisdienste_http, postfach_login(basisdienste_http, "erika-mustermann", level=4))
    token = basisdienste_http.post("/nutzerkonto/token", auth=("demo-fachverfahren", "demo-fachverfahren-secret"),
                                   data={"grant_type": "client_credentials", "resource": "bescheid"})
    notice = basisdienste_http.post("/bescheid/api/v1/bescheide", headers={
        "Authorization": "Bearer " + token.json()["access_token"]}, json={
        "authority": "stadt-koblenz", "template": "stadt-koblenz/bewohnerparkausweis", "aktenzeichen": "32-17",
        "addressee": {"postkorbHandle": erika.uuid, "name": "Erika Mustermann",
                      "address": ["Heidestraße 17", "56068 Koblenz"]},
        "tenor": "Der Bewohnerparkausweis wird erteilt.", "begruendung": "Die Voraussetzungen liegen vor.",
        "rechtsbehelfsbelehrung": "Gegen diesen Bescheid kann Widerspruch erhoben werden.",
        "fees": [{"description": "Gebühr", "amount": "30.70"}]})
    assert notice.status_code == 201, notice.text
    [message] = wait_for(erika.messages, message="the notice in the Postfach")
    assert erika.read(message["messageId"])["retrievedAt"] is not None


def test_a_fee_is_paid_by_card(basisdienste, basisdienste_http):
    service = OnlineService.seeded(basisdienste.controls.seed(), "bewohnerparkausweis", "071110000000")
    info = service.create(basisdienste_http, "30.70")["paymentInformation"]
    assert pay(basisdienste_http, info["transactionRedirectUrl"])["status"] == "PAYED"
    assert service.status(basisdienste_http, info["transactionId"])["paymentInformation"]["status"] == "PAYED"


def test_a_supplier_sends_an_invoice(basisdienste_http, koblenz_invoice):
    receipt = post_invoice(basisdienste_http, supplier_login(basisdienste_http), koblenz_invoice)
    assert receipt["id"]
'''


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The project directory and its environment's bin directory, with basisdienste installed from a wheel."""
    base = tmp_path_factory.mktemp("example")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    target = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path("
                                  "'purelib'))"], check=True, capture_output=True, text=True).stdout.strip())
    (target / "basisdienste-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # Built from a copy of the sources: setuptools' build/ in the checkout could carry files deleted since.
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                                                "__pycache__", ".basisdienste", "*_cache"))
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(source)], check=True, timeout=300, cwd=base)
    [wheel] = wheels.glob("basisdienste-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "-q", str(wheel)], check=True, timeout=300, cwd=base)
    project = base / "project"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(textwrap.dedent("""
        [project]
        name = "onlineantrag-bewohnerparken"
        version = "0.1.0"
        dependencies = ["basisdienste"]

        [tool.pytest.ini_options]
        testpaths = ["tests"]
    """))
    (project / "tests" / "conftest.py").write_text(CONFTEST)
    (project / "tests" / "test_with_basisdienste.py").write_text(TESTS)
    shutil.copy(INVOICE, project / "tests" / "invoice.xml")
    return project, venv / "bin"


def run(command: list[str], project: Path, *, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASISDIENSTE_", "PYTEST_", "PYTHON"))}
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_the_installed_package_is_the_one_under_test(example: tuple[Path, Path]) -> None:
    project, bin_dir = example
    done = run([str(bin_dir / "python"), "-c", "import harness, gateway; print(harness.__file__, gateway.__file__)"],
               project)
    assert done.returncode == 0, done.stderr
    assert all(path.startswith(str(bin_dir.parent)) for path in done.stdout.split()), done.stdout


@pytest.mark.slow
def test_three_plugin_tests_pass_in_process(example: tuple[Path, Path]) -> None:
    project, bin_dir = example
    done = run([str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b3 passed\b", done.stdout), done.stdout[-2000:]


@pytest.mark.slow
def test_three_plugin_tests_pass_against_basisdienste_exec(example: tuple[Path, Path]) -> None:
    project, bin_dir = example
    done = run([str(bin_dir / "basisdienste"), "exec", "--", str(bin_dir / "python"), "-m", "pytest", "-q",
                "-p", "no:cacheprovider"], project)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b3 passed\b", done.stdout), done.stdout[-2000:]
