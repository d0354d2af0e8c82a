"""Cheques scanned upside down: what the branch service's check says, against upright scans.

Generates a synthetic cheque set (training.signature.cheques.generate_cheque_set: ``--accounts``
writers, 5 references each, genuine and skilled-forged cheques), enrolls every account in a
fresh SQLite store on the shipped model, and checks each cheque as scanned and turned over
(180 degrees) through ``BranchService.check_cheque``. Prints, for genuine and forged cheques
each way up, how many got each verdict or refusal, and the check's mean and slowest time
(file to verdict or refusal: a forged reading also judges the turned page). What to look at:
upside-down genuine
cheques should be refused ``upside_down``, not called forged; upright forgeries must not be
refused as upside down.

    python benchmarks/upside_down_cheques.py [--accounts 8] [--seed 3]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np


def main() -> None:
    """Run the benchmark and print the table."""
    from desktop.core.branch.service import BranchService
    from desktop.core.imaging.decode import load_page
    from desktop.core.paths import default_signature_model
    from desktop.core.signature.cheque import ChequeRefused
    from desktop.core.signature.verification import SignatureVerifier
    from desktop.core.store.backends import SQLiteStore
    from training.signature.cheques import generate_cheque_set

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=8)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = generate_cheque_set(Path(tmp) / "set", n_accounts=args.accounts, references=5,
                                   genuine=3, forged=3, seed=args.seed)
        service = BranchService(SQLiteStore(Path(tmp) / "store.sqlite"),
                                SignatureVerifier(default_signature_model(), "cpu"))
        admin = service.create_first_admin("admin", "admin-pass-123")
        with open(root / "accounts.csv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                number = row["account_number"]
                service.create_account(admin, number, row["name"])
                refs = sorted((root / "references" / number).glob("*.png"))
                service.enroll(admin, number, service.assess_candidates(
                    admin, service.load_candidates(admin, refs), number))
        outcomes: Counter[tuple[str, str, str]] = Counter()
        times: defaultdict[tuple[str, str, str], list[float]] = defaultdict(list)
        with open(root / "truth.csv", encoding="utf-8") as fh:
            truth = list(csv.DictReader(fh))
        for row in truth:
            path = root / "cheques" / row["file"]
            turned = Path(tmp) / f"turned-{Path(row['file']).stem}.png"
            cv2.imwrite(str(turned), np.ascontiguousarray(load_page(path)[::-1, ::-1]))
            for way, file in (("upright", path), ("upside down", turned)):
                start = time.perf_counter()
                try:
                    outcome = service.check_cheque(admin, row["account_number"],
                                                   file).result.decision
                except ChequeRefused as exc:
                    outcome = f"refused: {exc.kind}"
                outcomes[(row["kind"], way, outcome)] += 1
                times[(row["kind"], way, outcome)].append(1000 * (time.perf_counter() - start))
        service.store.close()
    print(f"{len(truth)} cheques of {args.accounts} writers (seed {args.seed}), shipped model")
    print("| cheque | scanned | outcome | n | mean ms | max ms |\n|---|---|---|---|---|---|")
    for key, n in sorted(outcomes.items()):
        ms = times[key]
        print(f"| {' | '.join(key)} | {n} | {sum(ms) / len(ms):.0f} | {max(ms):.0f} |")


if __name__ == "__main__":
    main()
