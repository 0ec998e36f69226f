"""The pytest plugin (entry point ``pytest11``): a suite for the test session, reset before every test that uses it.

In process by default: the suite starts once per test session (per xdist worker) from a migrated template on a
loopback port. ``--basisdienste-url URL`` (or ``BASISDIENSTE_URL``) runs the same tests against a suite that is
already running (``basisdienste up``, ``basisdienste exec``, compose).

Fixtures: ``basisdienste`` (the suite, reset for this test), ``basisdienste_session`` (the same, not reset),
``basisdienste_http`` (an ``httpx.Client`` on the gateway), ``basisdienste_controls``, ``basisdienste_clock``,
``basisdienste_faults``, ``basisdienste_seed``, ``basisdienste_factory`` (a suite of its own with other settings,
in process only) and ``wait_for``. The marker ``@pytest.mark.basisdienste(reset=False)`` keeps the state of the test
before; ``@pytest.mark.basisdienste(environment={...})`` gives the test a suite started with those settings.
"""

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.controls import Clock, Controls, Faults
from harness.suite import EmbeddedSuite, RemoteSuite, Suite, SuiteUnavailable
from harness.template import Storage, Template

URL_VARIABLE = "BASISDIENSTE_URL"
DATABASE_VARIABLE = "BASISDIENSTE_TEST_DATABASE_URL"
TEMPLATE_DIR = "basisdienste-template"
MARKER_OPTIONS = {"reset": "reset the suite before the test (default True)",
                  "environment": "BASISDIENSTE_* settings for a suite of the test's own (in process only)"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("basisdienste", "Basisdienste suite")
    group.addoption("--basisdienste-url", default=None,
                    help=f"run against the suite at this URL instead of one in process (env {URL_VARIABLE})")
    group.addoption("--basisdienste-control-token", default=None,
                    help="bearer token for the controls of a suite on another host (env BASISDIENSTE_CONTROL_TOKEN)")
    group.addoption("--basisdienste-database-url", default=None,
                    help=f"PostgreSQL server for in-process suites; default SQLite files (env {DATABASE_VARIABLE})")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "basisdienste(reset=True, environment=None): how the test's suite is "
                                       "prepared (see harness.plugin)")
    url = _remote_url(config)
    if url and not hasattr(config, "workerinput"):
        # Checked once, before any test runs: a typo in the URL is one clear error, not a failure in every test.
        try:
            RemoteSuite(url, control_token=_control_token(config), timeout=5).close()
        except SuiteUnavailable as exc:
            raise pytest.UsageError(f"--basisdienste-url: {exc}") from exc


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker in item.iter_markers("basisdienste"):
            unknown = sorted(set(marker.kwargs) - set(MARKER_OPTIONS))
            if unknown or marker.args:
                valid = "; ".join(f"{k}: {v}" for k, v in MARKER_OPTIONS.items())
                raise pytest.UsageError(f"{item.nodeid}: unknown option {unknown or list(marker.args)} of "
                                        f"@pytest.mark.basisdienste; valid: {valid}")


def _remote_url(config: pytest.Config) -> str | None:
    return config.getoption("--basisdienste-url") or os.environ.get(URL_VARIABLE) or None


def _database(config: pytest.Config) -> str | None:
    return config.getoption("--basisdienste-database-url") or os.environ.get(DATABASE_VARIABLE) or None


def _control_token(config: pytest.Config) -> str | None:
    return config.getoption("--basisdienste-control-token") or os.environ.get("BASISDIENSTE_CONTROL_TOKEN") or None


def _run_root(factory: pytest.TempPathFactory, config: pytest.Config) -> Path:
    """A directory all xdist workers of this run share (each worker's basetemp lies inside the run's)."""
    base = factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


@pytest.fixture(scope="session")
def basisdienste_template(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Template:
    """The run's migrated, seeded template (built by the first worker that needs it)."""
    config = request.config
    template = Template(_run_root(tmp_path_factory, config) / TEMPLATE_DIR, database_url=_database(config))

    def build(storage: Storage) -> None:
        # A full start and a clean stop leave migrations, seeds and keys behind. The template is made for the
        # default public URL: what a service wrote down at its first start (the Bescheid's certificates name
        # their CRL and OCSP URLs) names http://127.0.0.1:8000, as a first `basisdienste up` would.
        EmbeddedSuite(storage, {"BASISDIENSTE_PUBLIC_BASE_URL": "http://127.0.0.1:8000"}).stop()

    template.ensure(build)
    return template


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's template database goes when the run ends: dropped by the controller (or the only process), after
    every xdist worker has stopped its suites."""
    config = session.config
    factory = getattr(config, "_tmp_path_factory", None)
    if hasattr(config, "workerinput") or factory is None or not _database(config):
        return
    root = factory.getbasetemp() / TEMPLATE_DIR
    if root.exists():
        Template(root, database_url=_database(config)).drop()


class SuiteFactory:
    """Suites of a test's own, each with other settings, started from the template and stopped afterwards."""

    def __init__(self, template: Template, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._template = template
        self._tmp = tmp_path_factory
        self._started: list[EmbeddedSuite] = []

    def __call__(self, environment: Mapping[str, str] = {}, **gateway_overrides: Any) -> EmbeddedSuite:
        storage = self._template.copy(self._tmp.mktemp("suite") / "data")
        suite = EmbeddedSuite(storage, environment, **gateway_overrides)
        self._started.append(suite)
        return suite

    def storage(self) -> Storage:
        """Fresh storage holding the template's data, for a suite the test starts itself (a process, say)."""
        storage = self._template.copy(self._tmp.mktemp("suite") / "data")
        self._started.append(storage)  # type: ignore[arg-type]
        return storage

    def close(self) -> None:
        for item in reversed(self._started):
            if isinstance(item, EmbeddedSuite):
                item.stop()
                self._template.drop_database(item.storage)
            else:
                self._template.drop_database(item)
        self._started.clear()


@pytest.fixture(scope="session")
def basisdienste_session(request: pytest.FixtureRequest) -> Iterator[Suite]:
    """The session's suite as it is (no reset)."""
    config = request.config
    url = _remote_url(config)
    if url:
        suite: Suite = RemoteSuite(url, control_token=_control_token(config))
        yield suite
        suite.close()
        return
    factory = request.getfixturevalue("_basisdienste_session_factory")
    yield factory()


@pytest.fixture(scope="session")
def _basisdienste_session_factory(basisdienste_template: Template,
                                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteFactory]:
    factory = SuiteFactory(basisdienste_template, tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def _basisdienste_by_environment(request: pytest.FixtureRequest) -> Iterator[dict[tuple[tuple[str, str], ...], Suite]]:
    """Suites for ``@pytest.mark.basisdienste(environment=...)``, one per distinct environment and session."""
    suites: dict[tuple[tuple[str, str], ...], Suite] = {}
    yield suites


@pytest.fixture
def basisdienste(request: pytest.FixtureRequest) -> Suite:
    """The suite, reset to its seed data for this test (unless ``@pytest.mark.basisdienste(reset=False)``)."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("basisdienste"))):
        options.update(marker.kwargs)
    environment = options.get("environment")
    if environment:
        if _remote_url(request.config):
            pytest.skip("needs a suite of its own with other settings: in process only")
        suites = request.getfixturevalue("_basisdienste_by_environment")
        key = tuple(sorted(environment.items()))
        if key not in suites:
            suites[key] = request.getfixturevalue("_basisdienste_session_factory")(environment)
        suite = suites[key]
    else:
        suite = request.getfixturevalue("basisdienste_session")
    if options.get("reset", True):
        suite.controls.reset()
    return suite


@pytest.fixture
def basisdienste_factory(request: pytest.FixtureRequest, basisdienste_template: Template,
                         tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteFactory]:
    """Start suites of the test's own: ``basisdienste_factory({"BASISDIENSTE_...": "..."})``, stopped afterwards."""
    if _remote_url(request.config):
        pytest.skip("starts suites of its own: in process only")
    factory = SuiteFactory(basisdienste_template, tmp_path_factory)
    yield factory
    factory.close()


@pytest.fixture
def basisdienste_http(basisdienste: Suite) -> Iterator[httpx.Client]:
    with basisdienste.http() as client:
        yield client


@pytest.fixture
def basisdienste_controls(basisdienste: Suite) -> Controls:
    return basisdienste.controls


@pytest.fixture
def basisdienste_clock(basisdienste: Suite) -> Clock:
    """The emulator clock: ``freeze(datetime)``, ``advance(timedelta | "P3D")``, ``release()``, ``now()``."""
    return basisdienste.controls.clock


@pytest.fixture
def basisdienste_faults(basisdienste: Suite) -> Iterator[Faults]:
    """Faults for this test, cleared afterwards."""
    yield basisdienste.controls.faults
    basisdienste.controls.faults.clear()


@pytest.fixture
def basisdienste_seed(basisdienste: Suite) -> dict[str, Any]:
    return basisdienste.controls.seed()


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """``wait_for(callable, timeout=10)``: poll until it answers something truthy (outbox-driven effects)."""
    from harness.wait import wait_for as poll

    return poll
