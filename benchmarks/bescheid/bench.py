"""Sealed Bescheide per second: the bescheid service's render + seal path next to plain pyHanko defaults.

Measured in one process, rounds interleaved, medians reported:

- baseline: what the pyHanko documentation shows — ``SimpleSigner.load(key, cert, ca_chain_files=(root,))`` per
  notice with an RSA-3072 key, ``PdfSigner(...).sign_pdf``, at B-B, and at B-T with pyHanko's
  ``HTTPTimeStamper`` against the suite's TSA (``basisdienste serve bescheid`` on a free port); it seals the
  same, already rendered PDF, so it measures sealing only;
- the service's path: ``render`` (fpdf2, DIN 91379 font cut) + ``seal`` (pyHanko with the key object parsed
  once, EC P-256; B-T with the in-process TSA), single notices one after another and a batch through the
  service's worker pool; plus render alone, seal alone and the same seal with a cached RSA-3072 key, to show where
  the time goes.

Run: ``.venv/bin/python -m benchmarks.bescheid`` (``--help`` lists the knobs); bounded well under 3 minutes.
"""

import argparse
import concurrent.futures
import datetime as dt
import io
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper

from benchmarks.gateway.bench import (
    FOREIGN_LOAD_WARNING,
    Fleet,
    free_ports,
    git_revision,
    machine,
    machine_busy_seconds,
    own_cpu_seconds,
    run_and_report,
    server_env,
    wait_healthy,
)
from services.bescheid.pki import certificates as issue
from services.bescheid.pki.certificates import PkiUrls
from services.bescheid.pki.store import AuthorityIdentity, Credential, TestPki
from services.bescheid.render import fonts
from services.bescheid.render.pdf import RenderInput, render
from services.bescheid.seal.sealer import CachedKeySigner, LocalTimeStamper, SealMaterial, seal

REPO = Path(__file__).resolve().parents[2]
KOBLENZ = AuthorityIdentity("stadt-koblenz", "Stadt Koblenz", "NTRDE-071110000000")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sample(number: int) -> RenderInput:
    return RenderInput(
        authority_name="Stadt Koblenz", authority_address=["Willi-Hörter-Platz 1", "56068 Koblenz"],
        service="Hundesteuer", title="Bescheid über die Festsetzung der Hundesteuer",
        greeting="Sehr geehrte Damen und Herren,\n\nnach der Hundesteuersatzung wird folgende Steuer festgesetzt:",
        closing="Mit freundlichen Grüßen\nIm Auftrag\nStadt Koblenz", number=f"KO-2026-{number:06d}",
        aktenzeichen=f"HST-2026-{number:04d}", date=dt.date(2026, 11, 22), addressee_name="Erika Mustermann",
        addressee_address=["Heidestraße 17", "56068 Koblenz"],
        tenor="Die Hundesteuer für das Jahr 2027 wird auf 120,00 EUR festgesetzt.",
        begruendung="Sie halten im Stadtgebiet einen Hund (§ 2 Hundesteuersatzung). " * 6,
        rechtsbehelfsbelehrung="Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe Widerspruch "
                               "bei der Stadtverwaltung Koblenz erhoben werden.",
        fields=[("Hund", "Bello"), ("Steuermarke", f"{number:04d}"), ("Veranlagungszeitraum", "2027")],
        fees=[("Hundesteuer 2027", Decimal("120.00"))], kassenzeichen="5.1234.5678.9",
        data={"bescheidNummer": f"KO-2026-{number:06d}"}, created_at=_now())


class Setup:
    def __init__(self, workdir: Path, tsa_url: str) -> None:
        urls = PkiUrls("http://127.0.0.1/pki/root.crt", "http://127.0.0.1/pki/crl", "http://127.0.0.1/pki/ocsp")
        self.pki = TestPki("ec", 3072, urls)
        now = _now()
        self.pki.install(self.pki.generate({}, now, [KOBLENZ]), [KOBLENZ], [])
        assert self.pki.root is not None and self.pki.tsa is not None
        root = self.pki.root
        rsa_key = issue.new_key("rsa", 3072)
        assert root.key is not None
        self.rsa = Credential.of(rsa_key, issue.seal_certificate(
            rsa_key.public_key(), root.key, root.certificate, urls, now, authority_name=KOBLENZ.name,
            organization_identifier=KOBLENZ.organization_identifier))
        self.fonts = fonts.prepare(workdir / "fonts")
        self.pdf = render(sample(1), self.fonts)
        # The baseline reads its key and certificates from files, as pyHanko's documentation does.
        self.key_file, self.cert_file, self.root_file = (workdir / n for n in ("seal.key", "seal.pem", "root.pem"))
        self.key_file.write_bytes(rsa_key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
        self.cert_file.write_text(self.rsa.certificate_pem)
        self.root_file.write_text(root.certificate_pem)
        self.tsa_url = tsa_url

    def material(self, credential: Credential, level: str) -> SealMaterial:
        assert self.pki.root is not None and self.pki.tsa is not None
        assert credential.key is not None
        return SealMaterial(signer=CachedKeySigner(credential.key, credential.asn1, self.pki.chain()),
                            timestamper=LocalTimeStamper(self.pki.tsa, _now) if level != "B-B" else None,
                            trust_root=self.pki.root.asn1, crl=None, ocsps=[], moment=_now())


def baseline(setup: Setup, level: str) -> bytes:
    """Plain pyHanko defaults: load the signer for this notice, sign, timestamp over HTTP at B-T."""
    signer = signers.SimpleSigner.load(str(setup.key_file), str(setup.cert_file),
                                       ca_chain_files=(str(setup.root_file),))
    meta = signers.PdfSignatureMetadata(field_name="Behoerdensiegel", subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    timestamper = HTTPTimeStamper(setup.tsa_url) if level == "B-T" else None
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(setup.pdf)), output=out)
    return out.getvalue()


def rate(action: Callable[[int], Any], count: int) -> float:
    """Operations per second of ``action`` run ``count`` times one after another."""
    started = time.perf_counter()
    for n in range(count):
        action(n)
    return count / (time.perf_counter() - started)


def batch_rate(setup: Setup, level: str, count: int, workers: int) -> float:
    material = setup.material(setup.pki.seals["stadt-koblenz"], level)

    def one(n: int) -> bytes:
        return seal(render(sample(n), setup.fonts), level, material, reason="Benchmark")

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - started)


def measure_round(setup: Setup, args: argparse.Namespace) -> dict[str, float]:
    ec = setup.pki.seals["stadt-koblenz"]
    n = args.count
    out: dict[str, float] = {}
    for level in ("B-B", "B-T"):
        out[f"baseline {level}"] = rate(lambda _, lv=level: baseline(setup, lv), args.baseline_count)
        material = setup.material(ec, level)
        out[f"seal only {level}"] = rate(lambda _, m=material, lv=level: seal(setup.pdf, lv, m, reason="x"), n)
        out[f"render + seal {level}"] = rate(
            lambda i, m=material, lv=level: seal(render(sample(i), setup.fonts), lv, m, reason="x"), n)
        out[f"batch render + seal {level}"] = batch_rate(setup, level, args.batch, args.workers)
    rsa_material = setup.material(setup.rsa, "B-B")
    out["seal only B-B, RSA-3072 key parsed once"] = rate(
        lambda _: seal(setup.pdf, "B-B", rsa_material, reason="x"), n)
    out["render only"] = rate(lambda i: render(sample(i), setup.fonts), n)
    return out


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    fleet = Fleet(workdir)
    busy_before, own_before, started = machine_busy_seconds(), own_cpu_seconds(), time.perf_counter()
    try:
        port = free_ports(1)[0]
        server = fleet.launch("bescheid", ["serve", "bescheid"], port=port,
                              env=server_env({"BASISDIENSTE_DATA_DIR": str(workdir / "data")}))
        wait_healthy(server, timeout=120)
        setup = Setup(workdir, f"{server.base}/tsa")
        baseline(setup, "B-T")  # warm up both paths once (imports, TSA connection)
        seal(setup.pdf, "B-T", setup.material(setup.pki.seals["stadt-koblenz"], "B-T"), reason="x")
        rounds = [measure_round(setup, args) for _ in range(args.rounds)]
    finally:
        fleet.stop_all()
    elapsed = time.perf_counter() - started
    busy = machine_busy_seconds() - busy_before
    own = own_cpu_seconds() - own_before
    medians = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    render_ms = 1000 / medians["render only"]
    seal_bb_ms = 1000 / medians["seal only B-B"]
    seal_bt_ms = 1000 / medians["seal only B-T"]
    return {
        "benchmark": "bescheid", "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_revision(), "machine": machine(), "rounds": args.rounds, "count": args.count,
        "baseline_count": args.baseline_count, "batch": args.batch, "workers": args.workers,
        "per_second": medians, "all_rounds": rounds,
        "ratios": {
            "render + seal B-B vs baseline B-B": medians["render + seal B-B"] / medians["baseline B-B"],
            "render + seal B-T vs baseline B-T": medians["render + seal B-T"] / medians["baseline B-T"],
            "seal only B-B vs baseline B-B": medians["seal only B-B"] / medians["baseline B-B"],
            "seal only B-T vs baseline B-T": medians["seal only B-T"] / medians["baseline B-T"],
        },
        "time_ms": {"render": render_ms, "seal B-B": seal_bb_ms,
                    "timestamp (B-T minus B-B)": seal_bt_ms - seal_bb_ms,
                    "baseline B-B": 1000 / medians["baseline B-B"]},
        "elapsed_s": elapsed,
        "foreign_load_share": max(0.0, (busy - own) / max(busy, 1e-9)),
    }


def render_report(report: dict[str, Any]) -> str:
    lines = [f"Bescheid sealing, {report['rounds']} interleaved rounds, medians "
             f"(git {report['git']}, {report['machine']['nproc']} CPUs, {report['elapsed_s']:.0f} s)", ""]
    lines.append(f"{'path':44} {'per s':>8} {'ms each':>9}")
    for name, value in report["per_second"].items():
        lines.append(f"{name:44} {value:8.1f} {1000 / value:9.1f}")
    lines += ["", "ratios against the baseline (plain pyHanko defaults, same run):"]
    lines += [f"  {name:42} {value:6.2f}x" for name, value in report["ratios"].items()]
    lines += ["", "where the time of one notice goes (ms):"]
    lines += [f"  {name:42} {value:7.1f}" for name, value in report["time_ms"].items()]
    if report["foreign_load_share"] > FOREIGN_LOAD_WARNING:
        lines += ["", f"note: {report['foreign_load_share']:.0%} of the machine's CPU time went to other processes "
                      "during the run; figures are lower than on a quiet machine."]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=12, help="notices per measurement of the service's path")
    parser.add_argument("--baseline-count", type=int, default=6, help="notices per baseline measurement")
    parser.add_argument("--batch", type=int, default=24, help="notices per batch measurement")
    parser.add_argument("--workers", type=int, default=2, help="threads of the batch pool (the service's default)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--results-dir", type=Path, default=REPO / "benchmarks" / "results")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if min(args.rounds, args.count, args.baseline_count, args.batch, args.workers) < 1:
        raise SystemExit("all counts must be positive")
    run_and_report("bescheid", args, lambda workdir: run(args, workdir), render_report)
