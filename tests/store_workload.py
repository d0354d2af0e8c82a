"""A branch's day in fast motion, for the concurrency test: one worker process is one clerk
PC (operator and clerk sessions) hammering a shared store through :class:`BranchService`.

It creates accounts (the same numbers as the other PCs), enrolls references, checks cheques
with the real model and records the decisions, enrolls reference banknotes, revokes
references and logs in, at random, for a fixed time after all workers are ready. It reports
what it stored (ids), the audit rows it caused and any unexpected error, so that the test can
hold the store to exactly that.
"""

from __future__ import annotations

import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ACCOUNTS = [f"7000{i:04d}" for i in range(24)]  # shared by every worker
PASSWORDS = {"olga": "operator-pass-1", "carl": "clerk-pass-123"}


def set_up(location: str) -> int:
    """Create the users on a fresh store; returns the audit rows this wrote."""
    from desktop.core.service import BranchService
    from desktop.core.store import open_store

    store = open_store(location)
    service = BranchService(store, None)
    admin = service.create_first_admin("admin", "admin-pass-123")
    service.create_user(admin, "olga", "operator", PASSWORDS["olga"])
    service.create_user(admin, "carl", "clerk", PASSWORDS["carl"])
    rows = len(store.audit_entries())
    store.close()
    return rows


def _candidates(service, references: list[Path]):
    """Reference candidates with their embeddings, computed once per worker."""
    from desktop.core.enrollment import Candidate
    from desktop.core.imageio import load_pages
    from desktop.core.preprocess import preprocess_signature

    prep = service.model.manifest.preprocessing
    grays = [load_pages(p)[0] for p in references]
    inkmaps = [preprocess_signature(g, prep, path=p) for g, p in zip(grays, references,
                                                                      strict=True)]
    embeddings = service.model.embed_inkmaps(inkmaps)
    return [Candidate(p.name, g, m, e)
            for p, g, m, e in zip(references, grays, inkmaps, embeddings, strict=True)]


def run_worker(index: int, location: str, model: str, cheque: str, references: list[str],
               seconds: float, barrier, results) -> None:
    """Entry point of one worker process; puts its report on ``results``."""
    report: dict[str, Any] = {"index": index, "ops": Counter(), "created": [], "refs": [],
                              "revoked": [], "decisions": [], "verifications": [],
                              "banknotes": [], "audit_rows": 0, "errors": []}
    try:
        _work(index, location, model, cheque, [Path(p) for p in references], seconds,
              barrier, report)
    except Exception:  # the report says what went wrong; the test fails on it
        report["errors"].append(traceback.format_exc())
    report["ops"] = dict(report["ops"])
    results.put(report)


def _work(index: int, location: str, model: str, cheque: str, references: list[Path],
          seconds: float, barrier, report: dict[str, Any]) -> None:
    from desktop.core.errors import ServiceError
    from desktop.core.service import REFER, SUGGESTED, BranchService
    from desktop.core.store import NewBanknoteReference, StoreError, open_store
    from desktop.core.verification import SignatureVerifier

    rng = np.random.default_rng(1000 + index)
    store = open_store(location)
    service = BranchService(store, SignatureVerifier(model, "cpu"))
    operator = service.login("olga", PASSWORDS["olga"])
    clerk = service.login("carl", PASSWORDS["carl"])
    report["audit_rows"] += 2
    candidates = _candidates(service, references)
    ops, mine = report["ops"], []  # mine: (reference id, account) this worker may revoke
    known: list[str] = []  # accounts seen with references: where the cheques go
    barrier.wait(timeout=300)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        number = ACCOUNTS[int(rng.integers(len(ACCOUNTS)))]
        roll = rng.random()
        try:
            if roll < 0.10:
                try:
                    service.create_account(operator, number, f"Holder {number}")
                except StoreError as exc:
                    assert "already exists" in str(exc), exc
                    ops["create_refused"] += 1
                    continue
                report["created"].append(number)
                ops["create"] += 1
                report["audit_rows"] += 1
            elif roll < 0.25:  # 3-5 references: one or two enrollments fill an account
                picks = rng.choice(len(candidates), int(rng.integers(3, 6)), replace=False)
                try:
                    refs = service.enroll(operator, number, [candidates[i] for i in picks])
                except ServiceError as exc:
                    assert "needs 3 to 10" in str(exc) or "no account" in str(exc), exc
                    ops["enroll_refused"] += 1
                    continue
                report["refs"] += [(r.id, number) for r in refs]
                mine += [(r.id, number) for r in refs]
                known.append(number)
                ops["enroll"] += 1
                report["audit_rows"] += 1
            elif roll < 0.80:  # most of the day: cheques, mostly on accounts with references
                if known and rng.random() < 0.8:
                    number = known[int(rng.integers(len(known)))]
                try:
                    check = service.check_cheque(clerk, number, cheque)
                except ServiceError as exc:
                    assert "no enrolled reference" in str(exc) or "no account" in str(exc), exc
                    ops["verify_refused"] += 1
                    continue
                decision = SUGGESTED.get(check.result.decision, REFER)
                decision_id = service.record_decision(clerk, check, decision)
                known.append(number)
                report["verifications"].append(check.audit_id)
                report["decisions"].append((decision_id, check.audit_id))
                ops["verify"] += 1
                report["audit_rows"] += 2
            elif roll < 0.88:
                n = int(rng.integers(1, 3))
                notes = [NewBanknoteReference(
                    "CYR-200-front", f"w{index}", f"note-{index}-{ops['banknote']}-{i}".encode(),
                    rng.random(16).astype(np.float32), "note-model", f"n{i}.png")
                    for i in range(n)]
                with store.transaction():  # as BanknoteServiceMixin.enroll_banknotes does
                    stored = store.add_banknote_references(notes, "olga")
                    store.append_audit("olga", "banknote_enroll", model_id="note-model",
                                       details={"references": [r.id for r in stored]})
                report["banknotes"] += [r.id for r in stored]
                ops["banknote"] += 1
                report["audit_rows"] += 1
            elif roll < 0.92 and mine:
                ref_id, owner = mine.pop(int(rng.integers(len(mine))))
                service.revoke_reference(operator, owner, ref_id, f"worker {index} replaces it")
                report["revoked"].append(ref_id)
                ops["revoke"] += 1
                report["audit_rows"] += 1
            else:
                clerk = service.login("carl", PASSWORDS["carl"])
                service.search_accounts(clerk, number[:6])
                ops["login"] += 1
                report["audit_rows"] += 1
        except Exception:  # anything else is a finding: report it, keep the count honest
            report["errors"].append(traceback.format_exc())
            break
    store.close()
