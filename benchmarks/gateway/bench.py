"""What the gateway costs: one cheap endpoint (postfach ``GET /health``, a ``SELECT 1`` on SQLite) measured
with wrk in three topologies, interleaved, plus the start-up time and memory of ``basisdienste up``.

1. direct    ``basisdienste serve postfach``                      → ``/health``
2. embedded  ``basisdienste up`` (all services in the gateway)    → ``/postfach/health``
3. proxied   five ``serve <service>`` + ``serve gateway`` (compose topology, over HTTP) → ``/postfach/health``

Every server runs as its own process with the default configuration (access log on, written to a file), on
127.0.0.1 and free ports, with the gateway's rate limiter on but set too high to refuse. Run it as
``.venv/bin/python -m benchmarks.gateway``; ``--help`` lists the knobs. See benchmarks/README.md.
"""

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.settings import SERVICE_NAMES

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "benchmarks" / "results"
SERVICE = "postfach"
TOPOLOGIES = ("direct", "embedded", "proxied")
TARGETS = {"embedded_throughput_ratio": 0.85, "proxied_throughput_ratio": 0.60, "added_p50_ms": 2.0,
           "startup_s": 3.0}
RATE_LIMIT_ENV = {"BASISDIENSTE_GATEWAY_RATE_LIMIT_PER_SECOND": "1000000",
                  "BASISDIENSTE_GATEWAY_RATE_LIMIT_BURST": "1000000"}
# A measured run during which processes outside the benchmark kept more CPUs busy than this gets a warning.
FOREIGN_LOAD_WARNING = 0.15
PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
# Health polls must not go through a proxy from the environment: everything here is 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchmarkError(RuntimeError):
    pass


# --- processes -------------------------------------------------------------------------------------------


def basisdienste_command() -> list[str]:
    script = Path(sys.executable).parent / "basisdienste"
    if script.exists():
        return [str(script)]
    found = shutil.which("basisdienste")
    return [found] if found else [sys.executable, "-m", "gateway.cli"]


def free_ports(count: int) -> list[int]:
    """Ports the kernel hands out now; all sockets are held until every port is chosen, so they differ."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without BASISDIENSTE_* or proxy settings, plus the never-refusing limiter."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BASISDIENSTE_") and k.lower() not in PROXY_VARS}
    env.update(RATE_LIMIT_ENV)
    env.update(extra or {})
    return env


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    queue = [pid]
    while queue:
        current = queue.pop()
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                for child in children.read_text().split():
                    found.append(int(child))
                    queue.append(int(child))
    return found


def rss_kb(pid: int, *, with_children: bool = True) -> int:
    """VmRSS of the process (and its descendants) in kB."""
    total = 0
    for p in [pid, *(descendants(pid) if with_children else [])]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process and its descendants so far."""
    total = 0
    for p in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / _CLK_TCK


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    launched: float

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, lines: int = 15) -> str:
        parts = []
        for path in (self.stdout, self.stderr):
            with contextlib.suppress(OSError):
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    parts.append(f"--- {path} ---\n" + "\n".join(text))
        return "\n".join(parts) or "(no output)"


class Fleet:
    """Every server process this benchmark starts; ``stop_all`` (called in a ``finally``) ends them by PID."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.servers: list[Server] = []

    def launch(self, name: str, args: list[str], *, port: int, env: dict[str, str]) -> Server:
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        stdout, stderr = logs / f"{name}.out.log", logs / f"{name}.err.log"
        with stdout.open("ab") as out, stderr.open("ab") as err:
            launched = time.perf_counter()
            command = [*basisdienste_command(), *args, "--host", "127.0.0.1", "--port", str(port)]
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                    cwd=self.workdir)
        server = Server(name, port, proc, stdout, stderr, launched)
        self.servers.append(server)
        return server

    def stop(self, server: Server, timeout: float = 10.0) -> None:
        if server in self.servers:
            self.servers.remove(server)
        children = descendants(server.proc.pid)
        if server.proc.poll() is None:
            server.proc.send_signal(signal.SIGTERM)
            try:
                server.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait(5)
        for pid in children:  # none with plain uvicorn; stop strays by PID if there ever are
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for server in reversed(list(self.servers)):
            with contextlib.suppress(Exception):
                self.stop(server)


def get_json(url: str, timeout: float = 2.0) -> tuple[int, Any]:
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


def service_healthy(status: int, body: Any) -> bool:
    return status == 200 and isinstance(body, dict) and body.get("status") == "pass"


def suite_healthy(status: int, body: Any) -> bool:
    services = body.get("services", {}) if service_healthy(status, body) else {}
    return set(services) == set(SERVICE_NAMES) and all(s.get("status") == "pass" for s in services.values())


def wait_healthy(server: Server, path: str = "/health", *, timeout: float,
                 healthy: Callable[[int, Any], bool] = service_healthy, interval: float = 0.02) -> float:
    """Poll until ``healthy``; returns seconds since launch. Fails if the process dies or time runs out."""
    deadline = time.perf_counter() + timeout
    while True:
        if server.proc.poll() is not None:
            raise BenchmarkError(f"{server.name} exited with {server.proc.returncode}\n{server.tail()}")
        status, body = get_json(server.base + path, timeout=min(2.0, timeout))
        if healthy(status, body):
            return time.perf_counter() - server.launched
        if time.perf_counter() > deadline:
            raise BenchmarkError(f"{server.name} not healthy at {path} after {timeout:g} s "
                                 f"(last status {status})\n{server.tail()}")
        time.sleep(interval)


# --- wrk -------------------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    cpu_s: float | None = None  # server-side CPU seconds spent during the run (all processes of the topology)
    foreign_cores: float | None = None  # CPUs kept busy meanwhile by processes not part of the benchmark
    output: str = field(default="", repr=False)

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.cpu_s is None or not self.requests:
            return None
        return self.cpu_s / self.requests * 1e6


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    latencies = {int(p): float(v) * _UNITS_MS[u]
                 for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)}
    total = re.search(r"^\s*(\d+) requests in", output, re.M)
    if not rps or not total or not {50, 75, 90, 99} <= latencies.keys():
        raise BenchmarkError(f"cannot parse wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_s=float(rps.group(1)), p50_ms=latencies[50], p75_ms=latencies[75], p90_ms=latencies[90],
        p99_ms=latencies[99], requests=int(total.group(1)), non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0, output=output,
    )


def find_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("benchmarks.gateway needs wrk, which is not installed: sudo apt-get install wrk")
    return wrk


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs of the machine have been busy (not idle, not waiting for I/O) since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def own_cpu_seconds() -> float:
    """CPU time of this process and of its waited-for children (the wrk runs)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_wrk(wrk: str, url: str, *, duration: float, connections: int, threads: int,
            pids: list[int] | None = None, other_pids: list[int] | None = None) -> WrkResult:
    """One wrk run. With ``pids`` it also measures the CPU those processes spend; with ``other_pids`` (the rest
    of this benchmark's servers) also the CPU that processes foreign to the benchmark took meanwhile: noise."""
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", url]
    pids, other_pids = pids or [], other_pids or []

    def ours() -> tuple[float, float, float, float]:
        return (sum(cpu_seconds(p) for p in pids), sum(cpu_seconds(p) for p in other_pids), own_cpu_seconds(),
                machine_busy_seconds())

    before = ours()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    elapsed = time.perf_counter() - started
    after = ours()
    if done.returncode != 0:
        raise BenchmarkError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    result = parse_wrk(done.stdout)
    servers, others, own, busy = (a - b for a, b in zip(after, before, strict=True))
    if pids:
        result.cpu_s = servers
        result.foreign_cores = max(0.0, busy - servers - others - own) / elapsed
    return result


# --- topologies ------------------------------------------------------------------------------------------


@dataclass
class Topology:
    name: str
    url: str
    servers: list[Server]  # the processes serving it; their CPU time is what one request costs

    @property
    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.servers]

    def rss_kb(self) -> int:
        return sum(rss_kb(p) for p in self.pids)


def start_direct(fleet: Fleet, workdir: Path, timeout: float) -> Topology:
    (port,) = free_ports(1)
    server = fleet.launch("direct-postfach", ["serve", SERVICE, "--data-dir", str(workdir / "data-direct")],
                          port=port, env=server_env())
    wait_healthy(server, timeout=timeout)
    return Topology("direct", f"{server.base}/health", [server])


def start_embedded(fleet: Fleet, workdir: Path, timeout: float) -> Topology:
    (port,) = free_ports(1)
    server = fleet.launch("embedded-up", ["up", "--data-dir", str(workdir / "data-embedded")],
                          port=port, env=server_env())
    wait_healthy(server, timeout=timeout, healthy=suite_healthy)
    return Topology("embedded", f"{server.base}/{SERVICE}/health", [server])


def start_proxied(fleet: Fleet, workdir: Path, timeout: float) -> Topology:
    """The compose topology on one host: every service its own process, the gateway proxying over HTTP."""
    *service_ports, gateway_port = free_ports(len(SERVICE_NAMES) + 1)
    urls = {f"BASISDIENSTE_{n.upper()}_URL": f"http://127.0.0.1:{p}"
            for n, p in zip(SERVICE_NAMES, service_ports, strict=True)}
    env = server_env({**urls, "BASISDIENSTE_PUBLIC_BASE_URL": f"http://127.0.0.1:{gateway_port}"})
    data = str(workdir / "data-proxied")
    services = {n: fleet.launch(f"proxied-{n}", ["serve", n, "--data-dir", data], port=p, env=env)
                for n, p in zip(SERVICE_NAMES, service_ports, strict=True)}
    for server in services.values():
        wait_healthy(server, timeout=timeout)
    gateway = fleet.launch("proxied-gateway", ["serve", "gateway"], port=gateway_port, env=env)
    wait_healthy(gateway, timeout=timeout, healthy=suite_healthy)
    # The processes one request through the gateway touches: the gateway and postfach.
    return Topology("proxied", f"{gateway.base}/{SERVICE}/health", [gateway, services[SERVICE]])


def check_endpoint(topology: Topology) -> None:
    status, body = get_json(topology.url)
    if not (service_healthy(status, body) and body.get("service") == SERVICE):
        raise BenchmarkError(f"{topology.name}: {topology.url} answered {status} {body!r}")


# --- measurements ----------------------------------------------------------------------------------------


def measure_startup(fleet: Fleet, workdir: Path, launches: int, timeout: float) -> dict[str, Any]:
    """Launch ``basisdienste up`` on a fresh data dir until its suite health passes; RSS once healthy."""
    seconds, rss, foreign = [], [], []
    for i in range(launches):
        (port,) = free_ports(1)
        data = str(workdir / f"data-startup-{i + 1}")
        busy, own = machine_busy_seconds(), own_cpu_seconds()
        server = fleet.launch(f"startup-{i + 1}", ["up", "--data-dir", data], port=port, env=server_env())
        try:
            seconds.append(wait_healthy(server, timeout=timeout, healthy=suite_healthy))
            rss.append(rss_kb(server.proc.pid))
            others = machine_busy_seconds() - busy - (own_cpu_seconds() - own) - cpu_seconds(server.proc.pid)
            foreign.append(max(0.0, others) / seconds[-1])
        finally:
            fleet.stop(server)
        print(f"  launch {i + 1}: healthy after {seconds[-1]:.2f} s, RSS {rss[-1] / 1024:.0f} MiB, "
              f"other load {foreign[-1]:.2f}", flush=True)
    return {"launch_to_healthy_s": seconds, "median_s": statistics.median(seconds),
            "rss_when_healthy_kb": rss, "median_rss_kb": statistics.median(rss), "foreign_cpus_busy": foreign}


def summarise(runs: dict[str, list[WrkResult]], unloaded: dict[str, list[WrkResult]]) -> dict[str, Any]:
    def med(results: list[WrkResult], attr: str) -> float | None:
        values = [getattr(r, attr) for r in results if getattr(r, attr) is not None]
        return statistics.median(values) if values else None

    summary: dict[str, Any] = {}
    for name, results in runs.items():
        summary[name] = {key: med(results, key) for key in
                         ("requests_per_s", "p50_ms", "p75_ms", "p90_ms", "p99_ms", "cpu_us_per_request",
                          "foreign_cores")}
        summary[name]["min_requests_per_s"] = min(r.requests_per_s for r in results)
        summary[name]["max_requests_per_s"] = max(r.requests_per_s for r in results)
        if unloaded.get(name):
            summary[name]["unloaded_p50_ms"] = med(unloaded[name], "p50_ms")
            summary[name]["unloaded_p99_ms"] = med(unloaded[name], "p99_ms")
    direct = summary["direct"]
    for name in ("embedded", "proxied"):
        row = summary[name]
        row["throughput_ratio"] = row["requests_per_s"] / direct["requests_per_s"]
        # Rounds are interleaved, so the ratio within a round is less disturbed by slow drifts of the machine.
        row["throughput_ratio_per_round"] = [r.requests_per_s / d.requests_per_s
                                             for r, d in zip(runs[name], runs["direct"], strict=True)]
        row["throughput_ratio_median_of_rounds"] = statistics.median(row["throughput_ratio_per_round"])
        row["added_p50_ms"] = row["p50_ms"] - direct["p50_ms"]
        if "unloaded_p50_ms" in row and "unloaded_p50_ms" in direct:
            row["unloaded_added_p50_ms"] = row["unloaded_p50_ms"] - direct["unloaded_p50_ms"]
        if row["cpu_us_per_request"] is not None and direct["cpu_us_per_request"] is not None:
            row["added_cpu_us_per_request"] = row["cpu_us_per_request"] - direct["cpu_us_per_request"]
        target = TARGETS[f"{name}_throughput_ratio"]
        row["verdicts"] = {
            f"throughput >= {target:.0%} of direct": "PASS" if row["throughput_ratio"] >= target else "MISS",
            f"added p50 < {TARGETS['added_p50_ms']:g} ms": (
                "PASS" if row["added_p50_ms"] < TARGETS["added_p50_ms"] else "MISS"),
        }
        if "unloaded_added_p50_ms" in row:
            row["verdicts"][f"added p50 (1 connection) < {TARGETS['added_p50_ms']:g} ms"] = (
                "PASS" if row["unloaded_added_p50_ms"] < TARGETS["added_p50_ms"] else "MISS")
    return summary


def machine() -> dict[str, Any]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_at_start": [round(x, 2) for x in load]}


def git_revision() -> str | None:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip() or None


# --- output ----------------------------------------------------------------------------------------------


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render(report: dict[str, Any]) -> str:
    cfg, summary, startup = report["config"], report["summary"], report["startup"]
    m = report["machine"]
    lines = [
        f"Basisdienste gateway benchmark  {report['timestamp']}",
        f"  GET {SERVICE} /health · wrk -t{cfg['threads']} -c{cfg['connections']} -d{cfg['duration_s']:g}s "
        f"(+{cfg['warmup_s']:g} s warm-up) · {cfg['rounds']} interleaved rounds, medians · "
        f"{m['nproc']} CPUs, Python {m['python']}",
        "",
        f"  {'topology':<9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/req':>10} {'vs direct':>9} "
        f"{'+p50 ms':>8} {'1-conn p50':>10} {'+1-conn':>8} {'other load':>10}",
    ]
    for name in TOPOLOGIES:
        row = summary[name]
        ratio = "100 %" if name == "direct" else f"{row['throughput_ratio']:.0%}".replace("%", " %")
        added = "" if name == "direct" else f"{row['added_p50_ms']:+.2f}"
        added1 = "" if name == "direct" else _f(row.get("unloaded_added_p50_ms"), "+.2f")
        lines.append(f"  {name:<9} {row['requests_per_s']:>8.1f} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} "
                     f"{_f(row['cpu_us_per_request'], '.0f'):>10} {ratio:>9} {added:>8} "
                     f"{_f(row.get('unloaded_p50_ms'), '.2f'):>10} {added1:>8} "
                     f"{_f(row.get('foreign_cores'), '.2f'):>10}")
    lines += ["  (CPU us/req: CPU time of the serving processes per request; 1-conn: a run with one connection;",
              "   other load: CPUs kept busy by processes outside the benchmark during the run, median)", "",
              "  targets"]
    for name in ("embedded", "proxied"):
        row = summary[name]
        rounds = ", ".join(f"{r:.0%}" for r in row["throughput_ratio_per_round"])
        rounds += f"; median {row['throughput_ratio_median_of_rounds']:.0%}"
        for label, verdict in row["verdicts"].items():
            lines.append(f"    {verdict:<4}  {name:<8} {label}"
                         + (f"   (per round: {rounds})" if label.startswith("throughput") else ""))
    verdict = "PASS" if startup["median_s"] < TARGETS["startup_s"] else "MISS"
    each = ", ".join(f"{s:.2f}" for s in startup["launch_to_healthy_s"])
    lines.append(f"    {verdict:<4}  up: launch → all services healthy < {TARGETS['startup_s']:g} s: median "
                 f"{startup['median_s']:.2f} s ({each})")
    mem = report["memory"]
    lines += [
        "",
        f"  memory (VmRSS, MiB)  up once healthy: {startup['median_rss_kb'] / 1024:.0f} (median of "
        f"{len(startup['rss_when_healthy_kb'])})",
        f"    after the load: up {mem['embedded_after_load_kb'] / 1024:.0f} · direct postfach "
        f"{mem['direct_after_load_kb'] / 1024:.0f} · proxied gateway "
        f"{mem['proxied_gateway_after_load_kb'] / 1024:.0f} · proxied, all 6 processes "
        f"{mem['proxied_all_processes_kb'] / 1024:.0f}",
    ]
    if report["warnings"]:
        lines += ["", *(f"  WARNING: {w}" for w in report["warnings"])]
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------------------


def measure_once(wrk: str, topology: Topology, other_pids: list[int], args: argparse.Namespace,
                 round_no: int) -> tuple[WrkResult, WrkResult | None, dict[str, Any]]:
    """Warm-up (not counted), the measured run with ``--connections``, then the optional 1-connection run."""
    if args.warmup > 0:
        run_wrk(wrk, topology.url, duration=args.warmup, connections=args.connections, threads=args.threads)
    loaded = run_wrk(wrk, topology.url, duration=args.duration, connections=args.connections,
                     threads=args.threads, pids=topology.pids, other_pids=other_pids)
    entry: dict[str, Any] = {
        "round": round_no, "topology": topology.name, "requests_per_s": loaded.requests_per_s,
        "p50_ms": loaded.p50_ms, "p75_ms": loaded.p75_ms, "p90_ms": loaded.p90_ms, "p99_ms": loaded.p99_ms,
        "requests": loaded.requests, "non_2xx": loaded.non_2xx, "socket_errors": loaded.socket_errors,
        "server_cpu_s": loaded.cpu_s, "cpu_us_per_request": loaded.cpu_us_per_request,
        "foreign_cpus_busy": loaded.foreign_cores,
    }
    line = (f"  round {round_no} {topology.name:<9} {loaded.requests_per_s:8.1f} req/s  "
            f"p50 {loaded.p50_ms:6.2f} ms  p99 {loaded.p99_ms:6.2f} ms  "
            f"CPU {_f(loaded.cpu_us_per_request, '.0f')} us/req  other load {_f(loaded.foreign_cores, '.2f')}")
    single = None
    if args.unloaded_duration > 0:
        single = run_wrk(wrk, topology.url, duration=args.unloaded_duration, connections=1, threads=1)
        entry["unloaded"] = {"requests_per_s": single.requests_per_s, "p50_ms": single.p50_ms,
                             "p99_ms": single.p99_ms, "non_2xx": single.non_2xx,
                             "socket_errors": single.socket_errors}
        line += f"  | 1 conn: p50 {single.p50_ms:5.2f} ms"
    print(line, flush=True)
    return loaded, single, entry


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gateway", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=8.0,
                        help="seconds of each measured wrk run (%(default)s)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (%(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (%(default)s)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of the uncounted wrk run before each measured one (%(default)s)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds over the topologies (%(default)s)")
    parser.add_argument("--unloaded-duration", type=float, default=3.0,
                        help="seconds of an extra 1-connection run per topology and round, for the latency a "
                             "request adds without queueing; 0 skips it (%(default)s)")
    parser.add_argument("--launches", type=int, default=3,
                        help="launches of `basisdienste up` for the start-up time (%(default)s)")
    parser.add_argument("--startup-timeout", type=float, default=60.0,
                        help="seconds a server may take to become healthy (%(default)s)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where the JSON goes (%(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory with data and logs")
    return parser


def _raise_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so the finally below stops the servers


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    wrk = find_wrk()
    report: dict[str, Any] = {
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {**machine(), "wrk": wrk_version(wrk)},
        "git": git_revision(),
        "config": {"endpoint": f"GET /{SERVICE}/health", "duration_s": args.duration,
                   "connections": args.connections, "threads": args.threads, "warmup_s": args.warmup,
                   "rounds": args.rounds, "unloaded_duration_s": args.unloaded_duration,
                   "launches": args.launches, "server_env": RATE_LIMIT_ENV, "access_log": "on (to a file)"},
        "targets": TARGETS,
        "warnings": [],
    }
    fleet = Fleet(workdir)
    try:
        print(f"start-up of `basisdienste up` ({args.launches} launches, fresh data dir each) ...",
              flush=True)
        report["startup"] = measure_startup(fleet, workdir, args.launches, args.startup_timeout)
        for i, load in enumerate(report["startup"]["foreign_cpus_busy"], 1):
            if load > FOREIGN_LOAD_WARNING:
                report["warnings"].append(f"start-up launch {i}: other processes kept {load:.2f} CPUs busy; "
                                          "its time is disturbed")

        print("starting the three topologies ...", flush=True)
        topologies = {
            "direct": start_direct(fleet, workdir, args.startup_timeout),
            "embedded": start_embedded(fleet, workdir, args.startup_timeout),
            "proxied": start_proxied(fleet, workdir, args.startup_timeout),
        }
        for topology in topologies.values():
            check_endpoint(topology)
            pids = ", ".join(map(str, topology.pids))
            print(f"  {topology.name:<9} {topology.url}  (pids {pids})", flush=True)

        runs: dict[str, list[WrkResult]] = {n: [] for n in TOPOLOGIES}
        unloaded: dict[str, list[WrkResult]] = {n: [] for n in TOPOLOGIES}
        raw: list[dict[str, Any]] = []
        for round_no in range(1, args.rounds + 1):
            # Rotate the order every round, so no topology always runs first or right after another.
            shift = (round_no - 1) % len(TOPOLOGIES)
            for name in TOPOLOGIES[shift:] + TOPOLOGIES[:shift]:
                others = [s.proc.pid for s in fleet.servers if s.proc.pid not in topologies[name].pids]
                loaded, single, entry = measure_once(wrk, topologies[name], others, args, round_no)
                runs[name].append(loaded)
                if single is not None:
                    unloaded[name].append(single)
                raw.append(entry)
                for result in (loaded, single):
                    if result is not None and (result.non_2xx or result.socket_errors):
                        report["warnings"].append(
                            f"round {round_no} {name}: {result.non_2xx} non-2xx answers, {result.socket_errors} "
                            "socket errors: that run's figures are not comparable")
                if (loaded.foreign_cores or 0) > FOREIGN_LOAD_WARNING:
                    report["warnings"].append(
                        f"round {round_no} {name}: other processes kept {loaded.foreign_cores:.2f} CPUs busy "
                        "during the run; its figures are disturbed")
        report["runs"] = raw
        report["summary"] = summarise(runs, unloaded)
        report["memory"] = {
            "embedded_after_load_kb": topologies["embedded"].rss_kb(),
            "direct_after_load_kb": topologies["direct"].rss_kb(),
            "proxied_all_processes_kb": sum(rss_kb(s.proc.pid) for s in fleet.servers
                                            if s.name.startswith("proxied-")),
            "proxied_gateway_after_load_kb": rss_kb(topologies["proxied"].servers[0].proc.pid),
        }
        for server in fleet.servers:
            if server.proc.poll() is not None:
                report["warnings"].append(
                    f"{server.name} exited during the benchmark ({server.proc.returncode})")
        load = os.getloadavg()
        report["machine"]["loadavg_at_end"] = [round(x, 2) for x in load]
    finally:
        fleet.stop_all()
    return report


def run_and_report(name: str, args: argparse.Namespace, run: Callable[[Path], dict[str, Any]],
                   render: Callable[[dict[str, Any]], str]) -> None:
    """Run a benchmark in a fresh work directory, print its table and write its JSON (shared by all benchmarks)."""
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix=f"basisdienste-bench-{name}-"))
    try:
        report = run(workdir)
    except BenchmarkError as exc:
        sys.exit(f"benchmark failed: {exc}\n(data and logs kept in {workdir})")
    except (KeyboardInterrupt, SystemExit):
        print(f"\ninterrupted; all servers stopped, data and logs kept in {workdir}", file=sys.stderr)
        raise
    if args.keep:
        print(f"data and logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(render(report))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = report["timestamp"].replace(":", "").replace("-", "")
    path = args.results_dir / f"{name}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {path}")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.rounds < 1 or args.launches < 1 or args.duration <= 0 or args.connections < 1:
        sys.exit("--rounds, --launches, --duration and --connections must be positive")
    find_wrk()
    run_and_report("gateway", args, lambda workdir: run(args, workdir), render)

