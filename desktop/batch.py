"""``sigdesk-batch``: verify a folder of cheques for the back office and write a CSV report.

The mapping CSV has the columns ``file`` (relative to the cheque folder) and
``account_number``. The report has one row per mapping row, in the mapping's order: status
(``ok`` or ``error``), verdict, similarity, score and thresholds, and the reasons in words.
Every row is flushed to disk as soon as it is written; run the same command again after an
interruption and it continues after the last complete row, giving the same report as an
uninterrupted run. Each verification is also written to the store's audit log, with the run's
id (a hash of the mapping's path and content and of the report's path) and the mapping row
number: a row verified just before an interruption, whose report line was not written yet, is
not verified again on resume; its line is rebuilt from the audit entry. Cells that a
spreadsheet would run as formulas (``=``, ``+``, ``-``, ``@``...) get a leading quote.
The user must be a clerk or an admin (allowed to verify). The decision settings are those an
administrator set on this PC (the audit log's, where ``settings.json`` differs: see
:mod:`desktop.core.branch.settings_check`); only an administrator may choose others with
``--method``, ``--target-far`` or ``--zone``, or another model with ``--model``.

The password is read from ``$SIGDESK_PASSWORD`` or asked for on the terminal.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import hashlib
import io
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from desktop.core.branch.config import ConfigError, config_path, load_config
from desktop.core.csvsafe import SafeCsvWriter, read_rows
from desktop.core.errors import VerificationError
from desktop.core.models.runtime import PROVIDER_CHOICES
from desktop.core.paths import default_signature_model, shipped_signature_model
from desktop.core.signature.cheque import SignatureZone
from desktop.core.store.audit import AuditEntry, AuditFilter

REPORT_COLUMNS = ("file", "account_number", "status", "verdict", "similarity", "score",
                  "accept_score", "reject_score", "references", "method", "model_id", "reasons")
PASSWORD_ENV = "SIGDESK_PASSWORD"
RUN_KEY, ROW_KEY = "batch_run", "batch_row"  # in the details of each verify audit entry
AUDIT_LOOKUP_LIMIT = 10_000_000


class BatchError(VerificationError):
    """The batch cannot start (mapping, report or arguments); the message says why."""


def read_mapping(path: Path) -> list[tuple[str, str]]:
    """(file, account_number) rows of the mapping CSV, in order. An empty mapping, missing
    columns, a row with more cells than the header, a row without a file or an account and a
    repeated file are refused with a message naming the line."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None:
                raise BatchError(f"{path}: the mapping is empty; it needs the header "
                                 "file,account_number and one row per cheque")
            missing = {"file", "account_number"} - set(reader.fieldnames)
            if missing:
                raise BatchError(f"{path}: the mapping lacks the column(s) "
                                 f"{', '.join(sorted(missing))} (header: file,account_number; "
                                 f"found: {','.join(reader.fieldnames)})")
            rows: list[tuple[str, str]] = []
            seen: dict[str, int] = {}
            for row in reader:
                line = reader.line_num
                if None in row:
                    raise BatchError(f"{path}: line {line} has more cells than the header "
                                     "(quote a file name that holds a comma)")
                name, account = (row["file"] or "").strip(), (row["account_number"] or "").strip()
                if not name or not account:
                    raise BatchError(f"{path}: line {line} lacks a file or an account number")
                if name in seen:
                    raise BatchError(f"{path}: line {line} repeats {name} (first on line "
                                     f"{seen[name]}); each cheque file may appear once")
                seen[name] = line
                rows.append((name, account))
    except FileNotFoundError:
        raise BatchError(f"{path}: the mapping file does not exist") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BatchError(f"{path}: the mapping cannot be read ({exc})") from None
    if not rows:
        raise BatchError(f"{path}: the mapping has a header but no cheque rows")
    return rows


def batch_run_id(mapping_path: Path, out: Path) -> str:
    """The run's id: a hash of the mapping file's absolute path and content and of the
    report's absolute path, so that running the same command again finds the same run."""
    try:
        content = Path(mapping_path).read_bytes()
    except OSError as exc:
        raise BatchError(f"{mapping_path}: the mapping cannot be read ({exc})") from None
    return _run_hash(str(Path(mapping_path).resolve()), content, out)


def _run_hash(mapping_key: str, content: bytes, out: Path) -> str:
    h = hashlib.sha256()
    for part in (mapping_key.encode("utf-8", "surrogateescape"), content,
                 str(Path(out).resolve()).encode("utf-8", "surrogateescape")):
        h.update(len(part).to_bytes(8, "big") + part)
    return h.hexdigest()[:24]


def _complete_records_end(data: bytes) -> int:
    """Length of the part of ``data`` made of complete CSV records: up to the last line end
    outside quotes (a quoted cell may hold a line break)."""
    end, quoted = 0, False
    for i, byte in enumerate(data):
        if byte == 0x22:  # '"' (doubled quotes inside a cell toggle twice)
            quoted = not quoted
        elif byte == 0x0A and not quoted:
            end = i + 1
    return end


def read_report(path: Path) -> list[list[str]]:
    """The data records of a report from an earlier run (cells restored, see
    :mod:`desktop.core.csvsafe`); [] when there is none. A torn last record (the process was
    killed while writing it) is cut off the file so that the row is redone."""
    try:
        if not path.exists():
            return []
        data = path.read_bytes()
        end = _complete_records_end(data)
        records = list(read_rows(io.StringIO(data[:end].decode("utf-8"), newline="")))
    except OSError as exc:
        raise BatchError(f"{path}: the report cannot be read ({exc})") from None
    except (UnicodeDecodeError, csv.Error):
        records = [["?"]]  # refused below as not a report
    # Only a file that is a report is repaired: another file named by --out (the mapping, a
    # ledger) is refused untouched, never cut first. A report killed while writing its
    # header is all torn: the start of the header.
    is_report = (tuple(records[0]) == REPORT_COLUMNS if records
                 else ",".join(REPORT_COLUMNS).encode().startswith(data[end:]))
    if not is_report:
        raise BatchError(f"{path}: exists but is not a report of this command; choose "
                         "another --out or move it away")
    if end != len(data):
        try:
            with open(path, "r+b") as fh:
                fh.truncate(end)
        except OSError as exc:
            raise BatchError(f"{path}: the report cannot be repaired ({exc})") from None
    if not records:
        return []
    for number, record in enumerate(records[1:], start=1):
        if len(record) != len(REPORT_COLUMNS):
            raise BatchError(f"{path}: report row {number} has {len(record)} cells, not "
                             f"{len(REPORT_COLUMNS)}; the report is damaged: move it away")
    return records[1:]


def resume_report(path: Path) -> set[str]:
    """Files already in a report from an interrupted run (see :func:`read_report`)."""
    return {record[0] for record in read_report(path)}


def _reasons(verdict: str, s: float, acc: float, rej: float, weakest: float) -> str:
    from desktop.core.signature.verification import FORGED, GENUINE

    if verdict == GENUINE:
        why = f"similarity {s:.3f} at or above the accept level {acc:.3f}"
    elif verdict == FORGED:
        why = f"similarity {s:.3f} below the reject level {rej:.3f}"
    else:
        why = f"similarity {s:.3f} between the reject level {rej:.3f} and accept level {acc:.3f}"
    return f"{why}; lowest per-reference similarity {weakest:.3f}"


def _earlier_reasons(details: dict[str, Any]) -> str:
    """The decisions already recorded on the same cheque file (the verify entry's), for the
    reasons cell: an acceptance first, as a warning that this may be a second presentment."""
    from desktop.core.branch.decisions import accepted, earlier_from_details, earlier_text

    earlier = earlier_from_details(details)
    paid = accepted(earlier)
    others = [e for e in earlier if e not in paid]
    text = ""
    if paid:
        text += ("; ALREADY ACCEPTED (the same cheque file presented again?): "
                 + "; ".join(earlier_text(e) for e in paid))
    if others:
        text += ("; earlier decisions on the same file: "
                 + "; ".join(earlier_text(e) for e in others))
    return text


def report_row(name: str, account: str, entry: AuditEntry, verifier) -> list[Any]:
    """The report row of a verification, built from its audit entry (so that a row rebuilt on
    resume is the row the uninterrupted run wrote); the thresholds are recomputed from the
    model for the entry's number of references, method and security level."""
    from desktop.core.signature.decision import security_thresholds
    from desktop.core.signature.verification import similarity

    d = entry.details
    if entry.model_id != verifier.manifest.model_id:
        raise BatchError(f"{name}: was verified (audit entry {entry.id}) with the model "
                         f"{entry.model_id}, not the loaded {verifier.manifest.model_id}; "
                         "resume with the same --model")
    k, method = len(d["references"]), d["method"]
    cal = verifier.manifest.calibration_for(k, method)
    accept, reject = security_thresholds(cal, verifier.manifest.levels_for(k, method),
                                         d["target_far"])
    sim, score = float(d["similarity"]), float(d["score"])
    reasons = _reasons(d["verdict"], sim, similarity(accept, cal), similarity(reject, cal),
                       min(d["reference_similarities"]))
    reasons += _earlier_reasons(d)
    return [name, account, "ok", d["verdict"], f"{sim:.4f}", f"{score:.4f}", f"{accept:.4f}",
            f"{reject:.4f}", k, method, entry.model_id, reasons]


def audited_rows(store, username: str, run_id: str,
                 pending: list[tuple[int, str, str]]) -> dict[int, AuditEntry]:
    """Verify entries of run ``run_id`` for the ``pending`` (row, file, account) rows, by row
    number: the rows verified by an earlier run that was stopped before writing their report
    line. One indexed audit query per account."""
    wanted = {row: Path(name).name for row, name, _ in pending}
    found: dict[int, AuditEntry] = {}
    for account in sorted({account for _, _, account in pending}):
        entries = store.audit_entries(AuditFilter(username=username, action="verify",
                                                  account_number=account,
                                                  limit=AUDIT_LOOKUP_LIMIT))
        for entry in reversed(entries):  # oldest first: the first verification counts
            d = entry.details
            if d.get(RUN_KEY) != run_id:
                continue
            row = d.get(ROW_KEY)
            if row in wanted and row not in found and wanted[row] == d.get("cheque"):
                found[row] = entry
    return found


class _ReportFile:
    """The report, opened for appending; every row is flushed and synced to disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            new_file = not path.exists() or path.stat().st_size == 0
            self._fh = open(path, "a", newline="", encoding="utf-8")
        except OSError as exc:
            raise BatchError(f"{path}: the report cannot be written ({exc})") from None
        self._writer = SafeCsvWriter(self._fh, lineterminator="\n")
        if new_file:
            self.write(list(REPORT_COLUMNS))

    def write(self, row: list[Any]) -> None:
        """Append one row (cells neutralised against formula injection) and sync it."""
        try:
            self._writer.writerow(row)
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise BatchError(f"{self.path}: the report cannot be written ({exc})") from None

    def close(self) -> None:
        """Close the file."""
        self._fh.close()


def run_batch(service, session, cheque_dir: Path, mapping: list[tuple[str, str]],
              out: Path, max_items: int | None = None, progress: bool = True,
              run_id: str | None = None) -> Counter:
    """Verify every mapping row not yet in ``out``; append one flushed row per cheque.

    Each verification's audit entry carries ``run_id`` (default: a hash of the mapping's rows
    and the report's path; ``main`` uses :func:`batch_run_id`) and the mapping row number.
    When ``out`` exists (a resume), rows that an earlier run verified but whose report line
    is missing (killed between the audit commit and the report write) get their line rebuilt
    from the audit entry instead of a second verification; they count as
    ``"rebuilt from audit"`` and not against ``max_items``. Refuses a user who may not verify
    before the report is touched."""
    from tqdm import tqdm

    if not session.can("verify"):
        raise BatchError(f"user {session.username} (role {session.role}) may not verify "
                         "cheques; run the batch as a clerk or an admin (no report written)")
    if max_items is not None and max_items < 1:
        raise BatchError(f"--max-items {max_items}: give a positive number of cheques")
    if run_id is None:
        run_id = _run_hash("", json.dumps(mapping).encode("utf-8"), out)
    resuming = out.exists()
    done = resume_report(out)
    remaining = [(row, f, a) for row, (f, a) in enumerate(mapping, start=1) if f not in done]
    rebuilt = (audited_rows(service.store, session.username, run_id, remaining)
               if resuming and remaining else {})
    counts: Counter = Counter()
    report = _ReportFile(out)
    try:
        bar = tqdm(remaining, total=len(mapping), initial=len(mapping) - len(remaining),
                   unit="cheque", disable=not progress, file=sys.stderr)
        verified = 0
        for row_number, name, account in bar:
            entry = rebuilt.get(row_number)
            if entry is not None:
                report.write(report_row(name, account, entry, service.model))
                counts["rebuilt from audit"] += 1
                continue
            if max_items is not None and verified >= max_items:
                break
            verified += 1
            try:
                check = service.check_cheque(session, account, cheque_dir / name,
                                             source="batch",
                                             audit_extra={RUN_KEY: run_id, ROW_KEY: row_number})
                entry = service.store.audit_entry(check.audit_id)
                row = report_row(name, account, entry, service.model)
                counts[entry.details["verdict"]] += 1
            except BatchError:
                raise
            except VerificationError as exc:
                row = [name, account, "error", "", "", "", "", "", "", "", "", str(exc)]
                counts["error"] += 1
            report.write(row)
        bar.close()
    finally:
        report.close()
    return counts


def check_out_path(out: Path) -> None:
    """Refuse a report path that is a folder, lies in a missing folder or cannot be
    written, naming the path."""
    if out.is_dir():
        raise BatchError(f"--out {out}: is a folder; name the report file, e.g. "
                         f"{out / 'report.csv'}")
    parent = out.parent
    if not parent.is_dir():
        raise BatchError(f"--out {out}: the folder {parent} does not exist; create it first")
    if out.exists() and not out.is_file():
        raise BatchError(f"--out {out}: is not a regular file")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise BatchError(f"--out {out}: cannot be written (no permission)")


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
    from desktop.core.branch.service import BranchService
    from desktop.core.branch.settings_check import (
        chosen_settings,
        decision_settings,
        settings_in_force,
    )
    from desktop.core.signature.verification import SignatureVerifier
    from desktop.core.store.factory import open_store

    try:
        if args.max_items is not None and args.max_items < 1:
            raise BatchError(f"--max-items {args.max_items}: give a positive number of "
                             "cheques (leave it out to do them all)")
        check_out_path(args.out)
        cfg = load_config()
        mapping = read_mapping(args.mapping)
        run_id = batch_run_id(args.mapping, args.out)
        if not args.cheques.is_dir():
            raise BatchError(f"{args.cheques}: is not a folder of cheque images")
        zone = None
        if args.zone:
            try:
                zone = SignatureZone(*[float(v) for v in args.zone.split(",")])
            except (TypeError, ValueError) as exc:
                raise BatchError(f"--zone {args.zone}: {exc}") from None
        store = open_store(args.store or cfg.store_location())  # never creates one
        service = BranchService(store, None, decision_settings(cfg))
        password = os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.user}: ")
        session = service.login(args.user, password)
        in_force = settings_in_force(service, session, cfg, str(config_path()))
        if in_force.notice is not None:
            print(f"sigdesk-batch: {in_force.notice}", file=sys.stderr)
        model_dir = in_force.config.model_dir
        # The shipped model, not $SIGDESK_MODEL_DIR: an environment variable is the clerk's
        # to set, so another model through it is a choice like --model.
        configured = Path(model_dir) if model_dir else shipped_signature_model()
        model = args.model or (Path(model_dir) if model_dir else default_signature_model())
        if model.resolve() != configured.resolve() and not session.can("settings"):
            raise BatchError(f"--model or $SIGDESK_MODEL_DIR {model}: a {session.role} may not "
                             "choose the model; leave them out to use this PC's")
        service.verifier = SignatureVerifier(model, args.provider or cfg.provider)
        chosen_settings(service, session, in_force.settings, args.method, args.target_far,
                        zone)  # the service's settings from now on
        start = time.perf_counter()
        counts = run_batch(service, session, args.cheques, mapping, args.out, args.max_items,
                           progress=not args.no_progress, run_id=run_id)
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
