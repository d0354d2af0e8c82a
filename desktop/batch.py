"""``sigdesk-batch``: verify a folder of cheques for the back office and write a CSV report.

The mapping CSV has the columns ``file`` (relative to the cheque folder) and
``account_number``. The report has one row per mapping row, in the mapping's order: status
(``ok`` or ``error``), verdict, similarity, score and thresholds, and the reasons in words.
Every row is flushed to disk as soon as it is written; run the same command again after an
interruption and it continues after the last complete row, giving the same report as an
uninterrupted run. Each verification is also written to the store's audit log.

The password is read from ``$SIGDESK_PASSWORD`` or asked for on the terminal.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
import time
from collections import Counter
from pathlib import Path

from desktop.core.cheque import DEFAULT_ZONE, SignatureZone
from desktop.core.config import ConfigError, load_config
from desktop.core.errors import VerificationError
from desktop.core.paths import default_signature_model
from desktop.core.runtime import PROVIDER_CHOICES

REPORT_COLUMNS = ("file", "account_number", "status", "verdict", "similarity", "score",
                  "accept_score", "reject_score", "references", "method", "model_id", "reasons")
PASSWORD_ENV = "SIGDESK_PASSWORD"


class BatchError(VerificationError):
    """The batch cannot start (mapping, report or arguments); the message says why."""


def read_mapping(path: Path) -> list[tuple[str, str]]:
    """(file, account_number) rows of the mapping CSV, in order; duplicates are refused."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = {"file", "account_number"} - set(reader.fieldnames or [])
            if missing:
                raise BatchError(f"{path}: the mapping lacks the column(s) "
                                 f"{', '.join(sorted(missing))} (header: file,account_number)")
            rows: list[tuple[str, str]] = []
            seen: dict[str, int] = {}
            for line, row in enumerate(reader, start=2):
                name, account = (row["file"] or "").strip(), (row["account_number"] or "").strip()
                if not name or not account:
                    raise BatchError(f"{path}: line {line} lacks a file or an account number")
                if name in seen:
                    raise BatchError(f"{path}: line {line} repeats {name} (first on line "
                                     f"{seen[name]})")
                seen[name] = line
                rows.append((name, account))
    except FileNotFoundError:
        raise BatchError(f"{path}: the mapping file does not exist") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BatchError(f"{path}: the mapping cannot be read ({exc})") from None
    return rows


def resume_report(path: Path) -> set[str]:
    """Files already in a report from an interrupted run. A torn last line (the process was
    killed while writing it) is cut off so that the row is redone."""
    if not path.exists():
        return set()
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        with open(path, "r+b") as fh:
            fh.truncate(len(data))
    lines = data.decode("utf-8").splitlines()
    if not lines:
        return set()
    header = next(csv.reader([lines[0]]))
    if tuple(header) != REPORT_COLUMNS:
        raise BatchError(f"{path}: exists but is not a report of this command; choose "
                         "another --out or move it away")
    return {row[0] for row in csv.reader(lines[1:]) if row}


def _reasons(result) -> str:
    from desktop.core.verification import FORGED, GENUINE

    s, acc, rej = result.similarity, result.accept_similarity, result.reject_similarity
    if result.decision == GENUINE:
        why = f"similarity {s:.3f} at or above the accept level {acc:.3f}"
    elif result.decision == FORGED:
        why = f"similarity {s:.3f} below the reject level {rej:.3f}"
    else:
        why = f"similarity {s:.3f} between the reject level {rej:.3f} and accept level {acc:.3f}"
    weakest = min(result.reference_similarities)
    return f"{why}; lowest per-reference similarity {weakest:.3f}"


def run_batch(service, session, cheque_dir: Path, mapping: list[tuple[str, str]],
              out: Path, max_items: int | None = None, progress: bool = True) -> Counter:
    """Verify every mapping row not yet in ``out``; append one flushed row per cheque."""
    from tqdm import tqdm

    done = resume_report(out)
    remaining = [(f, a) for f, a in mapping if f not in done]
    todo = remaining if max_items is None else remaining[:max_items]
    counts: Counter = Counter()
    new_file = not out.exists() or out.stat().st_size == 0
    with open(out, "a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        if new_file:
            writer.writerow(REPORT_COLUMNS)
        bar = tqdm(todo, total=len(mapping), initial=len(mapping) - len(remaining),
                   unit="cheque", disable=not progress, file=sys.stderr)
        for name, account in bar:
            try:
                check = service.check_cheque(session, account, cheque_dir / name,
                                             source="batch")
                r = check.result
                row = [name, account, "ok", r.decision, f"{r.similarity:.4f}",
                       f"{r.distance:.4f}", f"{r.accept_distance:.4f}",
                       f"{r.reject_distance:.4f}", len(check.references), r.method,
                       r.model_id, _reasons(r)]
                counts[r.decision] += 1
            except VerificationError as exc:
                row = [name, account, "error", "", "", "", "", "", "", "", "", str(exc)]
                counts["error"] += 1
            writer.writerow(row)
            fh.flush()
            os.fsync(fh.fileno())
    return counts


def build_parser() -> argparse.ArgumentParser:
    """The ``sigdesk-batch`` argument parser."""
    p = argparse.ArgumentParser(prog="sigdesk-batch", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cheques", type=Path, help="folder of cheque images")
    p.add_argument("mapping", type=Path, help="CSV with columns file,account_number")
    p.add_argument("--out", type=Path, required=True, help="the CSV report (resumed if present)")
    p.add_argument("--user", required=True, help="a clerk or admin of the store")
    p.add_argument("--store", default=None,
                   help="store file or postgresql:// URL (default: settings)")
    p.add_argument("--model", type=Path, default=None, help="model folder (default: settings)")
    p.add_argument("--provider", choices=PROVIDER_CHOICES, default=None)
    p.add_argument("--method", default=None, help="distance or svm (default: settings)")
    p.add_argument("--target-far", type=float, default=None,
                   help="security level as a target FAR, e.g. 0.01 (default: settings)")
    p.add_argument("--zone", default=None, help="signature zone x,y,w,h relative to the page")
    p.add_argument("--max-items", type=int, default=None,
                   help="stop after this many cheques (run again to continue)")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sigdesk-batch``: 0 when the report is complete, 2 when it cannot
    start, 130 when interrupted (run again to resume)."""
    args = build_parser().parse_args(argv)
    from desktop.core.service import BranchService, DecisionSettings
    from desktop.core.store import open_store
    from desktop.core.verification import SignatureVerifier

    try:
        cfg = load_config()
        mapping = read_mapping(args.mapping)
        if not args.cheques.is_dir():
            raise BatchError(f"{args.cheques}: is not a folder of cheque images")
        zone = SignatureZone.from_dict(cfg.zone) if cfg.zone else DEFAULT_ZONE
        if args.zone:
            try:
                zone = SignatureZone(*[float(v) for v in args.zone.split(",")])
            except (TypeError, ValueError) as exc:
                raise BatchError(f"--zone {args.zone}: {exc}") from None
        settings = DecisionSettings(method=args.method or cfg.method,
                                    target_far=args.target_far or cfg.target_far, zone=zone)
        store = open_store(args.store or cfg.store_location())
        model = args.model or (Path(cfg.model_dir) if cfg.model_dir else
                               default_signature_model())
        verifier = SignatureVerifier(model, args.provider or cfg.provider)
        service = BranchService(store, verifier, settings)
        service.validate_settings(settings)
        password = os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.user}: ")
        session = service.login(args.user, password)
        start = time.perf_counter()
        counts = run_batch(service, session, args.cheques, mapping, args.out, args.max_items,
                           progress=not args.no_progress)
        elapsed = time.perf_counter() - start
    except (VerificationError, ConfigError) as exc:
        print(f"sigdesk-batch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"sigdesk-batch: interrupted; run the same command again to continue "
              f"{args.out}", file=sys.stderr)
        return 130
    n = sum(counts.values())
    remaining = len(mapping) - len(resume_report(args.out))
    print(f"{n} cheques in {elapsed:.1f} s ({n / elapsed if elapsed else 0:.2f} cheques/s); "
          + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f"; report {args.out}"
          + (f"; {remaining} left: run again to continue" if remaining else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
