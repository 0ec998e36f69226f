"""OAuth 2 token throughput of the nutzerkonto service next to panva's ``oidc-provider`` (npm, OpenID certified),
plus the time of one full authorization-code flow.

1. ``client_credentials`` tokens per second at 1 and 16 connections, with ``ab -k`` (and wrk), against
   ``basisdienste up`` (``/nutzerkonto/token`` through the gateway), ``basisdienste serve nutzerkonto``
   (``/token``, no gateway) and oidc-provider, installed with npm into a temporary folder for the run. The
   same request for all: client ``demo-fachverfahren`` with Basic auth, ``scope=postfach``, an RS256 JWT
   access token (RFC 9068) signed with an RSA key of the same size. Rounds are interleaved.
2. One authorization-code flow with PKCE against ``basisdienste up`` (authorize → login page → login POST →
   code → token exchange) with httpx, timed step by step.

Everything listens on 127.0.0.1 and free ports; every process is stopped by its PID. Run it as
``.venv/bin/python -m benchmarks.nutzerkonto``; ``--help`` lists the knobs. See benchmarks/README.md.
"""

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from benchmarks.gateway.bench import (
    FOREIGN_LOAD_WARNING,
    BenchmarkError,
    Fleet,
    Server,
    cpu_seconds,
    free_ports,
    get_json,
    git_revision,
    machine,
    machine_busy_seconds,
    own_cpu_seconds,
    parse_wrk,
    rss_kb,
    run_and_report,
    server_env,
    service_healthy,
    suite_healthy,
    wait_healthy,
    wrk_version,
)
from services.nutzerkonto.settings import NutzerkontoSettings

REPO = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / "benchmarks" / "results"
NODE_CACHE = RESULTS_DIR / ".node-cache"  # npm's download cache: re-runs install from disk in seconds
PROVIDER_SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
NODE_PACKAGE = "oidc-provider@9"

CLIENT_ID = "demo-fachverfahren"  # seeded in services/nutzerkonto/oidc/clients.py
CLIENT_SECRET = "demo-fachverfahren-secret"  # a published test secret of the emulator
SCOPE = "postfach"
CLIENT_SCOPES = ["postfach", "bezahlplattform", "bescheid", "rechnungseingang"]
AUDIENCE = "postfach"
TOKEN_BODY = f"grant_type=client_credentials&scope={SCOPE}"
FORM_TYPE = "application/x-www-form-urlencoded"
DEFAULT_KEY_BITS: int = NutzerkontoSettings.model_fields["signing_key_bits"].default

FLOW_CLIENT = "demo-onlineantrag"  # public client, PKCE S256
FLOW_REDIRECT = "http://localhost:5173/callback"
FLOW_IDENTITY = "erika-mustermann"
FLOW_METHOD = "eID"
FLOW_STEPS = ("authorize", "login_page", "login_post", "token")

TARGETS = ("up", "direct", "oidc-provider")
LABELS = {"up": "basisdienste up", "direct": "serve nutzerkonto", "oidc-provider": "oidc-provider"}
TOOLS = ("ab", "wrk")
TARGET_RATIO = 1.0  # issue 3: at least oidc-provider's throughput at 16 connections

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- tools -----------------------------------------------------------------------------------------------


def require(program: str, hint: str) -> str:
    found = shutil.which(program)
    if found is None:
        sys.exit(f"benchmarks.nutzerkonto needs {program}, which is not installed: {hint}")
    return found


def version_of(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "?"


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


@dataclass
class LoadResult:
    tool: str
    connections: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: int  # socket errors (wrk) / failed requests other than length differences (ab)
    keep_alive: int | None = None  # ab: requests served on a kept-alive connection
    cpu_s: float | None = None
    foreign_cores: float | None = None
    output: str = field(default="", repr=False)

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.cpu_s is None or not self.requests:
            return None
        return self.cpu_s / self.requests * 1e6


def parse_ab(output: str, connections: int) -> LoadResult:
    def number(label: str) -> float | None:
        found = re.search(rf"^{label}:\s+([\d.]+)", output, re.M)
        return float(found.group(1)) if found else None

    complete, rps = number("Complete requests"), number("Requests per second")
    percentiles = {int(p): float(v) for p, v in re.findall(r"^\s*(\d+)%\s+(\d+)", output, re.M)}
    if complete is None or rps is None or not {50, 99} <= percentiles.keys():
        raise BenchmarkError(f"cannot parse ab output:\n{output}")
    failed = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)", output)
    # A different body length is no failure here (ab compares every answer with the first one's length).
    errors = sum(int(failed.group(i)) for i in (1, 2, 4)) if failed else 0
    non_2xx = number("Non-2xx responses")
    keep_alive = number("Keep-Alive requests")
    return LoadResult("ab", connections, rps, percentiles[50], percentiles[99], int(complete),
                      int(non_2xx or 0), errors, int(keep_alive or 0), output=output)


def load_command(tool: str, exe: str, url: str, *, connections: int, duration: int, workdir: Path) -> list[str]:
    if tool == "ab":
        # -t before -n: -t alone caps the run at 50000 requests; -r: a reset connection is counted, not fatal.
        return [exe, "-k", "-q", "-r", "-c", str(connections), "-t", str(duration), "-n", str(duration * 20_000),
                "-s", "30", "-p", str(workdir / "token-body.txt"), "-T", FORM_TYPE,
                "-A", f"{CLIENT_ID}:{CLIENT_SECRET}", url]
    # --timeout as ab's -s: a slow answer is latency, not a socket error (wrk's default gives up after 2 s).
    return [exe, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency",
            "-s", str(workdir / "token.lua"), url]


def write_request_files(workdir: Path) -> None:
    (workdir / "token-body.txt").write_text(TOKEN_BODY)
    (workdir / "token.lua").write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{TOKEN_BODY}"\n'
        f'wrk.headers["Content-Type"] = "{FORM_TYPE}"\n'
        f'wrk.headers["Authorization"] = "{basic_auth()}"\n')


def run_load(tool: str, exe: str, url: str, *, connections: int, duration: int, workdir: Path,
             pids: list[int] | None = None, other_pids: list[int] | None = None) -> LoadResult:
    """One ab or wrk run; with ``pids`` also the CPU the server spent and what foreign processes took meanwhile."""
    command = load_command(tool, exe, url, connections=connections, duration=duration, workdir=workdir)
    pids, other_pids = pids or [], other_pids or []

    def ours() -> tuple[float, float, float, float]:
        return (sum(cpu_seconds(p) for p in pids), sum(cpu_seconds(p) for p in other_pids), own_cpu_seconds(),
                machine_busy_seconds())

    before, started = ours(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 90, check=False)
    elapsed, after = time.perf_counter() - started, ours()
    if done.returncode != 0:
        raise BenchmarkError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    if tool == "ab":
        result = parse_ab(done.stdout, connections)
    else:
        parsed = parse_wrk(done.stdout)
        result = LoadResult("wrk", connections, parsed.requests_per_s, parsed.p50_ms, parsed.p99_ms,
                            parsed.requests, parsed.non_2xx, parsed.socket_errors, output=done.stdout)
    server, others, own, busy = (a - b for a, b in zip(after, before, strict=True))
    if pids:
        result.cpu_s = server
        result.foreign_cores = max(0.0, busy - server - others - own) / elapsed
    return result


# --- servers ---------------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    server: Server
    token_url: str
    jwks_url: str

    @property
    def pids(self) -> list[int]:
        return [self.server.proc.pid]


class Processes(Fleet):
    """The gateway benchmark's fleet, plus processes that are not ``basisdienste`` (node)."""

    def launch_command(self, name: str, command: list[str], *, port: int, env: dict[str, str],
                       cwd: Path) -> Server:
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        stdout, stderr = logs / f"{name}.out.log", logs / f"{name}.err.log"
        with stdout.open("ab") as out, stderr.open("ab") as err:
            launched = time.perf_counter()
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd)
        server = Server(name, port, proc, stdout, stderr, launched)
        self.servers.append(server)
        return server


def basisdienste_env(key_bits: int) -> dict[str, str]:
    extra = {} if key_bits == DEFAULT_KEY_BITS else {"BASISDIENSTE_NUTZERKONTO_SIGNING_KEY_BITS": str(key_bits)}
    return server_env(extra)


def start_up(fleet: Processes, workdir: Path, args: argparse.Namespace) -> Target:
    (port,) = free_ports(1)
    server = fleet.launch("up", ["up", "--data-dir", str(workdir / "data-up")], port=port,
                          env=basisdienste_env(args.key_bits))
    wait_healthy(server, timeout=args.startup_timeout, healthy=suite_healthy)
    return Target("up", server, f"{server.base}/nutzerkonto/token", f"{server.base}/nutzerkonto/jwks")


def start_direct(fleet: Processes, workdir: Path, args: argparse.Namespace) -> Target:
    (port,) = free_ports(1)
    server = fleet.launch("direct-nutzerkonto", ["serve", "nutzerkonto", "--data-dir", str(workdir / "data-direct")],
                          port=port, env=basisdienste_env(args.key_bits))
    wait_healthy(server, timeout=args.startup_timeout, healthy=service_healthy)
    return Target("direct", server, f"{server.base}/token", f"{server.base}/jwks")


def install_oidc_provider(workdir: Path, npm: str, package: str) -> tuple[Path, dict[str, Any]]:
    """npm-install the package into a folder of this run's temporary directory; npm's cache lives under
    benchmarks/results/.node-cache (git-ignored), so only the first run downloads."""
    folder = workdir / "oidc-provider"
    folder.mkdir()
    (folder / "package.json").write_text(json.dumps({"name": "nutzerkonto-bench-peer", "private": True}) + "\n")
    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", package, "--no-audit", "--no-fund", "--no-update-notifier", "--prefer-offline",
               "--loglevel=error", "--cache", str(NODE_CACHE / "npm")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BASISDIENSTE_")}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchmarkError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    installed = json.loads((folder / "node_modules" / "oidc-provider" / "package.json").read_text())
    jose = folder / "node_modules" / "jose" / "package.json"
    shutil.copyfile(PROVIDER_SCRIPT, folder / "provider.mjs")  # next to node_modules, so the import resolves
    return folder, {"package": package, "version": installed["version"],
                    "jose": json.loads(jose.read_text())["version"] if jose.exists() else None,
                    "install_s": round(seconds, 2), "npm_cache": str(NODE_CACHE / "npm")}


def start_oidc_provider(fleet: Processes, folder: Path, node: str, args: argparse.Namespace) -> Target:
    (port,) = free_ports(1)
    config = {"port": port, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "scopes": CLIENT_SCOPES,
              "audience": AUDIENCE, "keyBits": args.key_bits, "tokenFormat": args.oidc_token_format,
              "ttl": NutzerkontoSettings.model_fields["access_token_ttl_seconds"].default}
    env = {k: v for k, v in server_env().items() if not k.startswith("BASISDIENSTE_")}
    env["NODE_ENV"] = "production"
    server = fleet.launch_command("oidc-provider", [node, "provider.mjs", json.dumps(config)], port=port, env=env,
                                  cwd=folder)
    discovery = "/.well-known/openid-configuration"
    wait_healthy(server, discovery, timeout=args.startup_timeout,
                 healthy=lambda status, body: status == 200 and isinstance(body, dict) and "token_endpoint" in body)
    _, metadata = get_json(server.base + discovery)
    return Target("oidc-provider", server, metadata["token_endpoint"], metadata["jwks_uri"])


# --- checks ----------------------------------------------------------------------------------------------


def _b64json(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def check_token(target: Target) -> dict[str, Any]:
    """The benchmark's request once, by hand: 200 with a Bearer token; a JWT is verified against the JWKS."""
    request = urllib.request.Request(target.token_url, data=TOKEN_BODY.encode(), method="POST",
                                     headers={"Content-Type": FORM_TYPE, "Authorization": basic_auth()})
    try:
        with _OPENER.open(request, timeout=10) as response:
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise BenchmarkError(f"{target.name}: {target.token_url} answered {exc.code}: {exc.read()[:500]!r}") from exc
    token = body.get("access_token") if isinstance(body, dict) else None
    if status != 200 or not isinstance(token, str) or str(body.get("token_type", "")).lower() != "bearer":
        raise BenchmarkError(f"{target.name}: {target.token_url} answered {status} {body!r}")
    info: dict[str, Any] = {"status": status, "length": len(token), "expires_in": body.get("expires_in"),
                            "scope": body.get("scope"), "format": "opaque"}
    if token.count(".") == 2:
        header, claims = _b64json(token.split(".")[0]), _b64json(token.split(".")[1])
        _, jwks = get_json(target.jwks_url)
        keys = [k for k in (jwks or {}).get("keys", []) if k.get("kid") == header.get("kid")]
        if not keys:
            raise BenchmarkError(f"{target.name}: no key {header.get('kid')!r} in {target.jwks_url}")
        key = jwt.PyJWK(keys[0], algorithm=header.get("alg"))
        jwt.decode(token, key=key, algorithms=["RS256"], options={"verify_aud": False})  # raises if it does not
        modulus = base64.urlsafe_b64decode(keys[0]["n"] + "=" * (-len(keys[0]["n"]) % 4))
        info.update(format="JWT", alg=header.get("alg"), typ=header.get("typ"), key_bits=len(modulus) * 8,
                    aud=claims.get("aud"), claims=sorted(claims), signature_verified=True)
    return info


def describe_token(info: dict[str, Any]) -> str:
    if info["format"] != "JWT":
        return f"opaque, {info['length']} chars, scope {info['scope']!r}"
    return (f"JWT {info['alg']} typ {info['typ']}, RSA {info['key_bits']}, {info['length']} chars, aud "
            f"{info['aud']!r}, scope {info['scope']!r}, signature verified with the JWKS; "
            f"claims {', '.join(info['claims'])}")


def log_findings(server: Server) -> dict[str, Any]:
    """What a basisdienste server's JSON log says about token answers other than 200 (access log) and about
    errors (message: exception, counted), so that a non-2xx answer counted by ab or wrk can be explained after
    the temporary files are gone. ``ClientDisconnect`` comes from requests in flight when ab or wrk stop."""
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    for path in (server.stdout, server.stderr):
        with contextlib.suppress(OSError), path.open(errors="replace") as lines:
            for line in lines:
                if not line.startswith("{"):
                    continue
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    status = entry.get("status")
                    if isinstance(status, int) and status != 200 and str(entry.get("path", "")).endswith("/token"):
                        key = f"{entry.get('method')} {entry.get('path')} {status}"
                        statuses[key] = statuses.get(key, 0) + 1
                    if entry.get("level") in ("error", "critical"):
                        exc = str(entry.get("exc") or "").strip().splitlines()
                        key = f"{str(entry.get('msg', '')).strip()[:200]}: {exc[-1][:200] if exc else '-'}"
                        errors[key] = errors.get(key, 0) + 1
    return {"non_200_answers": statuses, "errors": errors}


# --- authorization-code flow -----------------------------------------------------------------------------


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def one_flow(client: httpx.Client) -> dict[str, float]:
    """authorize (PKCE S256) → login page → login POST → code → token exchange; ms per step."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    params = {"response_type": "code", "client_id": FLOW_CLIENT, "redirect_uri": FLOW_REDIRECT,
              "scope": "openid profile", "state": state, "nonce": nonce, "code_challenge": challenge,
              "code_challenge_method": "S256"}
    times: dict[str, float] = {}

    def timed(step: str, send: Any, expect: int) -> httpx.Response:
        started = time.perf_counter()
        response = send()
        times[step] = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise BenchmarkError(f"flow step {step}: {response.status_code} (expected {expect}): "
                                 f"{response.text[:500]}")
        return response

    start = timed("authorize", lambda: client.get("/nutzerkonto/authorize", params=params), 303)
    page_path = start.headers["location"]
    if not page_path.startswith("/nutzerkonto/login/"):
        raise BenchmarkError(f"authorize redirected to {page_path!r}, not to the login page")
    timed("login_page", lambda: client.get(page_path, headers={"Accept": "text/html"}), 200)
    back = timed("login_post", lambda: client.post(page_path, data={
        "identity": FLOW_IDENTITY, "method": FLOW_METHOD, "action": "login"}), 303)
    answer = _query(back.headers["location"])
    if answer.get("state") != state or "code" not in answer:
        raise BenchmarkError(f"the login answered {back.headers['location']!r}")
    tokens = timed("token", lambda: client.post("/nutzerkonto/token", data={
        "grant_type": "authorization_code", "code": answer["code"], "redirect_uri": FLOW_REDIRECT,
        "code_verifier": verifier, "client_id": FLOW_CLIENT}), 200).json()
    if not {"access_token", "id_token"} <= tokens.keys():
        raise BenchmarkError(f"the token exchange answered {tokens!r}")
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    if claims.get("nonce") != nonce:
        raise BenchmarkError("the ID token does not carry the request's nonce")
    times["total"] = sum(times[s] for s in FLOW_STEPS)
    return times


def time_flows(target: Target, flows: int, warmup: int) -> dict[str, Any]:
    with httpx.Client(base_url=target.server.base, trust_env=False, timeout=15) as client:
        for _ in range(warmup):
            one_flow(client)
        measured = [one_flow(client) for _ in range(flows)]
    summary = {k: statistics.median(m[k] for m in measured) for k in (*FLOW_STEPS, "total")}
    totals = sorted(m["total"] for m in measured)
    return {"flows": flows, "warmup_flows": warmup, "median_ms": summary, "min_total_ms": totals[0],
            "max_total_ms": totals[-1], "runs_ms": measured}


# --- summary and output ----------------------------------------------------------------------------------


def _med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def summarise(runs: list[dict[str, Any]], tools: list[str], targets: list[str],
              connections: list[int]) -> dict[str, Any]:
    def select(tool: str, name: str, conns: int) -> list[dict[str, Any]]:
        return [r for r in runs if (r["tool"], r["target"], r["connections"]) == (tool, name, conns)]

    summary: dict[str, Any] = {}
    for tool in tools:
        summary[tool] = {name: {} for name in targets}
        for conns in connections:
            for name in targets:
                rows = select(tool, name, conns)
                cell = {k: _med([r[k] for r in rows]) for k in
                        ("requests_per_s", "p50_ms", "p99_ms", "cpu_us_per_request", "foreign_cores")}
                cell["min_requests_per_s"] = min(r["requests_per_s"] for r in rows)
                cell["max_requests_per_s"] = max(r["requests_per_s"] for r in rows)
                if tool == "ab":
                    cell["keep_alive_share"] = _med([r["keep_alive"] / r["requests"] if r["requests"] else 0.0
                                                     for r in rows])
                summary[tool][name][str(conns)] = cell
            peer = summary[tool].get("oidc-provider", {}).get(str(conns))
            for name in ("up", "direct"):
                mine = summary[tool].get(name, {}).get(str(conns))
                if peer is None or mine is None:
                    continue
                mine["vs_oidc_provider"] = mine["requests_per_s"] / peer["requests_per_s"]
                # Rounds are interleaved: the ratio within a round is less disturbed by slow drifts of the machine.
                mine["vs_oidc_provider_per_round"] = [
                    a["requests_per_s"] / b["requests_per_s"]
                    for a, b in zip(select(tool, name, conns), select(tool, "oidc-provider", conns), strict=True)]
            up, direct = summary[tool].get("up", {}).get(str(conns)), summary[tool].get("direct", {}).get(str(conns))
            if up and direct:
                up["vs_direct"] = up["requests_per_s"] / direct["requests_per_s"]
    judged = str(16 if 16 in connections else max(connections))
    verdicts = {}
    for tool in tools:
        up = summary[tool]["up"][judged]
        verdicts[tool] = {"connections": int(judged), "ratio": up["vs_oidc_provider"],
                          "per_round": up["vs_oidc_provider_per_round"],
                          "verdict": "PASS" if up["vs_oidc_provider"] >= TARGET_RATIO else "MISS"}
    summary["verdicts"] = verdicts
    return summary


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def render(report: dict[str, Any]) -> str:
    cfg, summary, m = report["config"], report["summary"], report["machine"]
    peer = report["oidc_provider"]
    lines = [
        f"Basisdienste nutzerkonto benchmark  {report['timestamp']}",
        f"  POST token, client_credentials ({CLIENT_ID}, Basic auth, {TOKEN_BODY!r}) · RS256 JWT access tokens, "
        f"RSA {cfg['key_bits']} ({cfg['oidc_token_format']} at oidc-provider {peer['version']})",
        f"  {cfg['rounds']} interleaved rounds of {cfg['duration_s']} s per run (+{cfg['warmup_s']} s warm-up), "
        f"medians · {m['nproc']} CPUs, Python {m['python']}, node {m['node']}",
        "",
        f"  {'tool':<4} {'server':<18} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/req':>10} "
        f"{'vs oidc-p.':>10} {'keep-alive':>10} {'other load':>10}",
    ]
    for tool in cfg["tools"]:
        for conns in map(str, cfg["connections"]):
            for name in cfg["targets"]:
                cell = summary[tool][name][conns]
                ratio = "" if name == "oidc-provider" else _f(cell.get("vs_oidc_provider"), ".2f")
                keep = _f(cell.get("keep_alive_share"), ".0%") if tool == "ab" else "(HTTP/1.1)"
                lines.append(
                    f"  {tool:<4} {LABELS[name]:<18} {conns:>5} {cell['requests_per_s']:>8.1f} "
                    f"{cell['p50_ms']:>7.1f} {cell['p99_ms']:>7.1f} {_f(cell['cpu_us_per_request'], '.0f'):>10} "
                    f"{ratio:>10} {keep:>10} {_f(cell['foreign_cores'], '.2f'):>10}")
    lines += ["  (vs oidc-p.: req/s over oidc-provider's in the same tool and connections; keep-alive: share of ab's",
              "   requests on a kept-alive connection; CPU us/req: CPU time of the server process per request)", "",
              "  target"]
    for tool, judged in summary["verdicts"].items():
        rounds = ", ".join(f"{r:.2f}" for r in judged["per_round"])
        lines.append(f"    {judged['verdict']:<4}  {tool}: basisdienste up >= {TARGET_RATIO:g} x oidc-provider at "
                     f"{judged['connections']} connections: {judged['ratio']:.2f} (per round {rounds})")
    for tool in cfg["tools"]:
        for conns in map(str, cfg["connections"]):
            up = summary[tool]["up"][conns]
            if "vs_direct" in up:
                lines.append(f"    gateway share ({tool}, {conns} conn.): up reaches {up['vs_direct']:.0%} of serve "
                             "nutzerkonto's throughput")
    flow = report.get("flow")
    if flow:
        med = flow["median_ms"]
        lines += ["", f"  authorization-code flow with PKCE against basisdienste up, median of {flow['flows']} "
                      f"(httpx, one keep-alive connection)",
                  f"    total {med['total']:.1f} ms = authorize {med['authorize']:.1f} + login page "
                  f"{med['login_page']:.1f} + login POST {med['login_post']:.1f} + token {med['token']:.1f} "
                  f"(min {flow['min_total_ms']:.1f}, max {flow['max_total_ms']:.1f})"]
    lines += ["", "  tokens checked before the load:"]
    for name, info in report["token_checks"].items():
        lines.append(f"    {LABELS[name]:<18} 200, {describe_token(info)}")
    if report["warnings"]:
        lines += ["", *(f"  WARNING: {w}" for w in report["warnings"])]
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nutzerkonto", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=8, help="seconds of each measured run (%(default)s)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="seconds of an uncounted 16-connection run before each server's runs (%(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over the servers (%(default)s)")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 1],
                        help="connection counts measured (%(default)s); the target is judged at 16")
    parser.add_argument("--tools", default="ab,wrk",
                        help="load generators, comma-separated: ab (HTTP/1.0 -k, as issue 3 asks) and/or wrk "
                             "(HTTP/1.1 keep-alive) (%(default)s)")
    parser.add_argument("--no-direct", action="store_true",
                        help="skip `basisdienste serve nutzerkonto` (the gateway's share)")
    parser.add_argument("--key-bits", type=int, default=DEFAULT_KEY_BITS,
                        help="RSA size of both servers' signing keys (%(default)s, basisdienste's default)")
    parser.add_argument("--oidc-token-format", choices=("jwt", "opaque"), default="jwt",
                        help="oidc-provider's access token format (%(default)s; basisdienste always issues JWTs)")
    parser.add_argument("--oidc-package", default=NODE_PACKAGE, help="npm spec to install (%(default)s)")
    parser.add_argument("--flows", type=int, default=20,
                        help="timed authorization-code flows; 0 skips them (%(default)s)")
    parser.add_argument("--startup-timeout", type=float, default=60.0,
                        help="seconds a server may take to answer (%(default)s)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where the JSON goes (%(default)s)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory with data, logs and the npm install")
    return parser


def run(args: argparse.Namespace, workdir: Path, exes: dict[str, str]) -> dict[str, Any]:
    tools = [t for t in args.tools.split(",") if t]
    targets = [t for t in TARGETS if not (t == "direct" and args.no_direct)]
    report: dict[str, Any] = {
        "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {**machine(), "node": version_of([exes["node"], "--version"]),
                    "npm": version_of([exes["npm"], "--version"]),
                    "ab": version_of([exes["ab"], "-V"]) if "ab" in exes else None,
                    "wrk": wrk_version(exes["wrk"]) if "wrk" in exes else None},
        "git": git_revision(),
        "config": {"request": f"POST token {TOKEN_BODY} (Basic auth {CLIENT_ID})", "duration_s": args.duration,
                   "warmup_s": args.warmup, "rounds": args.rounds, "connections": args.connections,
                   "tools": tools, "targets": targets, "key_bits": args.key_bits,
                   "oidc_token_format": args.oidc_token_format, "flows": args.flows},
        "target": {"up_vs_oidc_provider_at_16_connections": TARGET_RATIO},
        "warnings": [],
    }
    write_request_files(workdir)
    fleet = Processes(workdir)
    try:
        print(f"installing {args.oidc_package} with npm into {workdir / 'oidc-provider'} ...", flush=True)
        folder, report["oidc_provider"] = install_oidc_provider(workdir, exes["npm"], args.oidc_package)
        print(f"  oidc-provider {report['oidc_provider']['version']} in {report['oidc_provider']['install_s']} s",
              flush=True)

        print("starting the servers ...", flush=True)
        servers = {"oidc-provider": start_oidc_provider(fleet, folder, exes["node"], args),
                   "up": start_up(fleet, workdir, args)}
        if "direct" in targets:
            servers["direct"] = start_direct(fleet, workdir, args)
        report["token_checks"] = {}
        for name in targets:
            target = servers[name]
            info = check_token(target)
            report["token_checks"][name] = info
            print(f"  {LABELS[name]:<18} {target.token_url}  (pid {target.server.proc.pid})\n"
                  f"  {'':<18} 200: {describe_token(info)}", flush=True)

        if args.flows > 0:
            print(f"timing {args.flows} authorization-code flows against basisdienste up ...", flush=True)
            report["flow"] = time_flows(servers["up"], args.flows, warmup=2)
            print(f"  median {report['flow']['median_ms']['total']:.1f} ms per flow", flush=True)

        runs: list[dict[str, Any]] = []
        for round_no in range(1, args.rounds + 1):
            shift = (round_no - 1) % len(targets)  # rotate, so no server always runs first
            for name in targets[shift:] + targets[:shift]:
                target = servers[name]
                others = [s.proc.pid for s in fleet.servers if s.proc.pid not in target.pids]
                for tool in tools:
                    if args.warmup > 0:
                        run_load(tool, exes[tool], target.token_url, connections=16, duration=args.warmup,
                                 workdir=workdir)
                    for conns in args.connections:
                        result = run_load(tool, exes[tool], target.token_url, connections=conns,
                                          duration=args.duration, workdir=workdir, pids=target.pids,
                                          other_pids=others)
                        entry = {"round": round_no, "target": name, "tool": tool, "connections": conns,
                                 "requests_per_s": result.requests_per_s, "p50_ms": result.p50_ms,
                                 "p99_ms": result.p99_ms, "requests": result.requests, "non_2xx": result.non_2xx,
                                 "errors": result.errors, "keep_alive": result.keep_alive,
                                 "server_cpu_s": result.cpu_s, "cpu_us_per_request": result.cpu_us_per_request,
                                 "foreign_cores": result.foreign_cores}
                        runs.append(entry)
                        print(f"  round {round_no} {tool:<3} {LABELS[name]:<18} c{conns:<3} "
                              f"{result.requests_per_s:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
                              f"p99 {result.p99_ms:7.1f} ms  CPU {_f(result.cpu_us_per_request, '.0f')} us/req  "
                              f"other load {_f(result.foreign_cores, '.2f')}", flush=True)
                        if result.non_2xx or result.errors or not result.requests:
                            report["warnings"].append(
                                f"round {round_no} {tool} {name} c{conns}: {result.non_2xx} non-2xx answers, "
                                f"{result.errors} errors, {result.requests} requests: not comparable")
                        if (result.foreign_cores or 0) > FOREIGN_LOAD_WARNING:
                            report["warnings"].append(
                                f"round {round_no} {tool} {name} c{conns}: other processes kept "
                                f"{result.foreign_cores:.2f} CPUs busy; its figures are disturbed")
        report["runs"] = runs
        report["summary"] = summarise(runs, tools, targets, args.connections)
        report["memory_after_load_kb"] = {name: rss_kb(servers[name].server.proc.pid) for name in targets}
        for server in fleet.servers:
            if server.proc.poll() is not None:
                report["warnings"].append(f"{server.name} exited during the benchmark ({server.proc.returncode})")
        report["server_logs"] = {name: log_findings(servers[name].server) for name in targets
                                 if name != "oidc-provider"}
        for name, found in report["server_logs"].items():
            if found["non_200_answers"] or found["errors"]:
                report["warnings"].append(f"{LABELS[name]} logged {found['non_200_answers']} {found['errors']}")
        node_log = servers["oidc-provider"].server
        for path in (node_log.stdout, node_log.stderr):
            with contextlib.suppress(OSError):
                report["warnings"] += [f"oidc-provider said: {line.strip()}" for line in
                                       path.read_text(errors="replace").splitlines() if "WARNING" in line]
        report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        fleet.stop_all()
    return report


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    if not tools or any(t not in TOOLS for t in tools):
        sys.exit(f"--tools takes a comma-separated list of {', '.join(TOOLS)}")
    if args.rounds < 1 or args.duration < 1 or args.warmup < 0 or args.flows < 0 or not args.connections \
            or min(args.connections) < 1:
        sys.exit("--rounds, --duration and --connections must be positive, --warmup and --flows not negative")
    exes = {"node": require("node", "Node.js 20 or later"), "npm": require("npm", "it comes with Node.js")}
    if "ab" in tools:
        exes["ab"] = require("ab", "sudo apt-get install apache2-utils")
    if "wrk" in tools:
        exes["wrk"] = require("wrk", "sudo apt-get install wrk")
    run_and_report("nutzerkonto", args, lambda workdir: run(args, workdir, exes), render)
