"""The installed app's self-test: the shipped models on the bundled sample images, headless.

``sigdesk --self-test`` runs it (and the GUI part in :mod:`desktop.app`). It goes through the
same service a clerk uses, on a throw-away store in a temporary folder: it enrolls the sample
account's reference signatures, checks a genuine and a forged cheque, checks a genuine and a
counterfeit banknote, and verifies the audit chain. Each result must match what the source
tree gave on the same files (``desktop/samples/expected.json``, written by
``python -m training samples``): the same verdicts and denominations, and distances within
:data:`DISTANCE_TOLERANCE` (onnxruntime on another CPU or on CUDA differs in the last digits,
a broken decoder, preprocessing or model file does not).
"""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop.core.errors import VerificationError

EXPECTED_NAME = "expected.json"
DISTANCE_TOLERANCE = 0.01


@dataclass
class CheckOutcome:
    """One line of the self-test's report."""

    name: str
    ok: bool
    detail: str


@dataclass
class SelfTestReport:
    """Everything the self-test found; ``ok`` only when every check passed."""

    checks: list[CheckOutcome] = field(default_factory=list)
    provider: str = ""
    observed: dict[str, dict[str, Any]] = field(default_factory=dict)  # per sample file
    model_ids: dict[str, str] = field(default_factory=dict)  # "signature", "banknote"
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when there were checks and all of them passed."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        """Record one check."""
        self.checks.append(CheckOutcome(name, bool(ok), detail))

    def as_text(self) -> str:
        """The report for a terminal: one line per check, then the verdict."""
        lines = [f"{'PASS' if c.ok else 'FAIL'}  {c.name}: {c.detail}" for c in self.checks]
        lines.append(f"self-test {'passed' if self.ok else 'FAILED'} in {self.seconds:.1f} s "
                     f"({self.provider})")
        return "\n".join(lines)


def read_expected(samples: Path) -> dict[str, Any]:
    """The sample set's description; :class:`VerificationError` naming the file if unusable."""
    path = samples / EXPECTED_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VerificationError(f"{path}: the self-test's sample description cannot be read "
                                f"({exc})") from None
    for key in ("account", "references", "cheques", "banknotes"):
        if key not in data:
            raise VerificationError(f"{path}: has no {key!r} entry")
    return data


def _guard(report: SelfTestReport, name: str, step: Callable[[], None]) -> None:
    """Run one step; a clear failure line instead of a traceback when it raises."""
    try:
        step()
    except (VerificationError, OSError, ValueError, RuntimeError, KeyError, ImportError) as exc:
        report.add(name, False, f"{type(exc).__name__}: {exc}")


def run_self_test(samples: Path, signature_model: Path, banknote_model: Path,
                  provider: str = "auto") -> SelfTestReport:
    """Load both models and check the bundled samples through the branch service."""
    from desktop.core.banknote.model import BanknoteModel
    from desktop.core.branch.service import BranchService
    from desktop.core.signature.verification import SignatureVerifier
    from desktop.core.store.backends import SQLiteStore

    start = time.perf_counter()
    report = SelfTestReport()
    try:
        expected = read_expected(samples)
    except VerificationError as exc:
        report.add("samples", False, str(exc))
        return report
    models: dict[str, Any] = {}

    def load() -> None:
        t = time.perf_counter()
        models["sig"] = SignatureVerifier(signature_model, provider)
        models["note"] = BanknoteModel(banknote_model, provider)
        sig, note = models["sig"], models["note"]
        report.provider = f"signatures on {sig.embedder.provider.describe()}; banknotes on " \
                          f"{note.provider.describe()}"
        report.add("models", True, f"signature {sig.manifest.model_id} and banknote "
                   f"{note.model_id} loaded in {time.perf_counter() - t:.2f} s")
        report.model_ids = {"signature": sig.manifest.model_id, "banknote": note.model_id}
        from desktop.core.models.keys import describe_signer

        report.add("model signatures", True,
                   f"signature model {describe_signer(sig.manifest.signer)}; banknote model "
                   f"{describe_signer(note.manifest.signer)}")
        for kind, found in report.model_ids.items():
            wanted = expected.get(f"{kind}_model_id")
            if wanted and wanted != found:
                report.add(f"{kind} model", False, f"the samples were made with {wanted}, "
                           f"this is {found}: run `python -m training samples` again")

    _guard(report, "models", load)
    _guard(report, "PostgreSQL driver", lambda: _postgres_driver(report))
    if "note" not in models:
        report.seconds = time.perf_counter() - start
        return report
    with tempfile.TemporaryDirectory(prefix="sigdesk-selftest-") as tmp:
        store = SQLiteStore(Path(tmp) / "selftest.sqlite")
        try:
            service = BranchService(store, models["sig"], banknotes=models["note"])
            _check_all(report, service, samples, expected)
        finally:
            store.close()
    report.seconds = time.perf_counter() - start
    return report


def _postgres_driver(report: SelfTestReport) -> None:
    """The shared store's driver and its libpq are in the installation (no server needed)."""
    import psycopg
    import sqlalchemy as sa

    from desktop.core.store.backends import PostgresStore  # noqa: F401 - importable is the check

    sa.create_engine("postgresql+psycopg://").dispose()  # its SQLAlchemy dialect is bundled

    libpq = psycopg.pq.version()
    report.add("PostgreSQL driver", True, f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__}"
               f" implementation, libpq {libpq // 10000}.{libpq % 10000})")


def _check_all(report: SelfTestReport, service, samples: Path,
               expected: dict[str, Any]) -> None:
    password = secrets.token_urlsafe(16)
    admin = service.create_first_admin("selftest-admin", password)
    service.create_user(admin, "selftest-operator", "operator", password)
    operator = service.login("selftest-operator", password)
    account = expected["account"]

    def enroll() -> None:
        service.create_account(operator, account["number"], account["name"])
        paths = [samples / name for name in expected["references"]]
        cands = service.assess_candidates(operator, service.load_candidates(operator, paths),
                                          account["number"])
        refused = [f"{c.name} ({'; '.join(c.problems)})" for c in cands if not c.usable]
        service.enroll(operator, account["number"], [c for c in cands if c.usable])
        report.add("enroll", not refused, f"{len(cands) - len(refused)} of {len(paths)} "
                   "reference signatures enrolled" + (f"; refused {refused}" if refused else ""))

    _guard(report, "enroll", enroll)
    for item in expected["cheques"]:
        _guard(report, f"cheque {item['file']}",
               lambda item=item: _cheque(report, service, admin, samples, account, item))
    if expected["cheques"]:
        item = expected["cheques"][0]
        _guard(report, "PDF scan", lambda: _pdf_cheque(report, service, admin, samples, account,
                                                       item))
    for item in expected["banknotes"]:
        _guard(report, f"banknote {item['file']}",
               lambda item=item: _banknote(report, service, admin, samples, item))
    check = service.verify_audit(admin)
    report.add("audit chain", check.ok, f"{check.rows} entries, "
               + ("unbroken" if check.ok else check.problem))


def _cheque(report: SelfTestReport, service, session, samples: Path, account: dict[str, str],
            item: dict[str, Any]) -> None:
    check = service.check_cheque(session, account["number"], samples / item["file"])
    r = check.result
    report.observed[item["file"]] = {"verdict": r.decision, "distance": r.distance}
    gap = abs(r.distance - item["distance"])
    ok = r.decision == item["verdict"] and gap <= DISTANCE_TOLERANCE
    report.add(f"cheque {item['file']} ({item['kind']})", ok,
               f"verdict {r.decision} (expected {item['verdict']}), distance {r.distance:.4f} "
               f"(expected {item['distance']:.4f}), threshold {r.threshold_distance:.4f}")


def _pdf_cheque(report: SelfTestReport, service, session, samples: Path,
                account: dict[str, str], item: dict[str, Any]) -> None:
    """A sample cheque as page 2 of a PDF (after a blank page), as a branch scanner saves
    it: PDFium is in the installation and the page gives the sample's verdict."""
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="sigdesk-selftest-pdf-") as tmp:
        pdf = Path(tmp) / "scan.pdf"
        with Image.open(samples / item["file"]) as cheque:
            page = cheque.convert("L")
        Image.new("L", page.size, 255).save(pdf, save_all=True, append_images=[page],
                                            resolution=300)
        check = service.check_cheque(session, account["number"], pdf, page=1)
    r = check.result
    report.add(f"PDF scan (page 2, {item['file']})", r.decision == item["verdict"],
               f"verdict {r.decision} (expected {item['verdict']}), distance {r.distance:.4f} "
               f"(the image itself: {item['distance']:.4f})")


def _banknote(report: SelfTestReport, service, session, samples: Path,
              item: dict[str, Any]) -> None:
    check = service.notes.check_banknote(session, samples / item["file"]).check
    key = check.denomination.key
    report.observed[item["file"]] = {"denomination": key, "verdict": check.verdict,
                                     "distance": check.distance}
    gap = abs(check.distance - item["distance"])
    ok = key == item["denomination"] and check.verdict == item["verdict"] and \
        gap <= DISTANCE_TOLERANCE
    report.add(f"banknote {item['file']} ({item['kind']})", ok,
               f"{key} {check.verdict} (expected {item['denomination']} {item['verdict']}), "
               f"distance {check.distance:.4f} (expected {item['distance']:.4f})")
