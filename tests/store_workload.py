"""A branch's day in fast motion, for the concurrency test and its benchmark: one worker
process is one clerk PC (operator and clerk sessions) working on a shared store through
:class:`BranchService`.

It creates accounts (the same numbers as the other PCs), enrolls references, checks cheques
with the real model and records the decisions, enrolls reference banknotes, revokes
references and logs in. The test gives every worker a fixed script of operations
(:func:`script`: no time limit, so a slow machine only takes longer); the benchmark
(``benchmarks/store_concurrency.py``) runs a random mix for a fixed time instead. Each worker
reports what it stored (ids), the audit rows it caused and any unexpected error, so that the
caller can hold the store to exactly that.
"""

from __future__ import annotations

import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ACCOUNTS = [f"7000{i:04d}" for i in range(24)]  # shared by every worker
SHARED = ACCOUNTS[:4]  # every scripted worker creates these and enrolls into one of them
PASSWORDS = {"olga": "operator-pass-1", "carl": "clerk-pass-123"}


def script(index: int) -> list[tuple[str, str]]:
    """Worker ``index``'s fixed operations ``(kind, account)``. Every kind the test expects
    happens whatever the timing: all workers create the same four accounts (one creates
    each, the others are refused), each enrolls into its own account (so its checks there
    always find references) and into a shared one (refused once the limit of 10 is reached),
    checks cheques on both, enrolls reference notes, revokes one of its own references and
    logs in again."""
    own = ACCOUNTS[len(SHARED) * 2 + index]
    shared = SHARED[index % len(SHARED)]
    return ([("create", number) for number in SHARED]
            + [("create", own), ("enroll", own), ("verify", own), ("verify", own),
               ("enroll", shared), ("verify", shared), ("banknote", ""), ("banknote", ""),
               ("revoke", own), ("verify", own), ("login", shared)])


def set_up(location: str) -> int:
    """Create the users on a fresh store; returns the audit rows this wrote."""
    from desktop.core.branch.service import BranchService
    from desktop.core.store.factory import open_store

    store = open_store(location, create=True)
    service = BranchService(store, None)
    admin = service.create_first_admin("admin", "admin-pass-123")
    service.create_user(admin, "olga", "operator", PASSWORDS["olga"])
    service.create_user(admin, "carl", "clerk", PASSWORDS["carl"])
    rows = len(store.audit_entries())
    store.close()
    return rows


def _candidates(service, references: list[Path]):
    """Reference candidates with their embeddings, computed once per worker."""
    from desktop.core.imaging.decode import load_pages
    from desktop.core.signature.enrollment import Candidate
    from desktop.core.signature.preprocess import preprocess_signature

    prep = service.model.manifest.preprocessing
    grays = [load_pages(p)[0] for p in references]
    inkmaps = [preprocess_signature(g, prep, path=p) for g, p in zip(grays, references,
                                                                      strict=True)]
    embeddings = service.model.embed_inkmaps(inkmaps)
    return [Candidate(p.name, g, m, e)
            for p, g, m, e in zip(references, grays, inkmaps, embeddings, strict=True)]


def run_worker(index: int, location: str, model: str, cheque: str, references: list[str],
               seconds: float | None, barrier, results) -> None:
    """Entry point of one worker process; puts its report on ``results``. ``seconds``: run
    a random mix for that long (the benchmark); None: run :func:`script` (the test)."""
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
          seconds: float | None, barrier, report: dict[str, Any]) -> None:
    from desktop.core.branch.service import BranchService
    from desktop.core.signature.verification import SignatureVerifier
    from desktop.core.store.factory import open_store

    rng = np.random.default_rng(1000 + index)
    store = open_store(location)
    service = BranchService(store, SignatureVerifier(model, "cpu"))
    sessions = {"operator": service.login("olga", PASSWORDS["olga"]),
                "clerk": service.login("carl", PASSWORDS["carl"])}
    report["audit_rows"] += 2
    state = {"candidates": _candidates(service, references), "mine": [], "known": []}
    barrier.wait(timeout=1800)
    try:
        if seconds is None:
            for kind, number in script(index):
                _step(kind, number, index, service, store, sessions, cheque, rng, state,
                      report, pick_known=False)
        else:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                number = ACCOUNTS[int(rng.integers(len(ACCOUNTS)))]
                roll = rng.random()
                kind = ("create" if roll < 0.10 else "enroll" if roll < 0.25 else
                        "verify" if roll < 0.80 else "banknote" if roll < 0.88 else
                        "revoke" if roll < 0.92 and state["mine"] else "login")
                _step(kind, number, index, service, store, sessions, cheque, rng, state,
                      report, pick_known=True)
    except Exception:  # anything else is a finding: report it, keep the count honest
        report["errors"].append(traceback.format_exc())
    store.close()


def _step(kind: str, number: str, index: int, service, store, sessions: dict, cheque: str,
          rng: np.random.Generator, state: dict, report: dict[str, Any],
          pick_known: bool) -> None:
    """One operation of ``kind`` on account ``number``; refusals the rules call for are
    counted as ``<kind>_refused``, anything else raises."""
    from desktop.core.branch.decisions import REFER, SUGGESTED
    from desktop.core.errors import ServiceError
    from desktop.core.store.records import NewBanknoteReference, StoreError

    ops, operator, candidates = report["ops"], sessions["operator"], state["candidates"]
    if kind == "create":
        try:
            service.create_account(operator, number, f"Holder {number}")
        except (StoreError, ServiceError) as exc:
            # The service refuses a number it sees stored (ServiceError); one another process
            # inserts after that look is refused by the unique index (StoreError).
            assert "already exists" in str(exc), exc
            ops["create_refused"] += 1
            return
        report["created"].append(number)
        ops["create"] += 1
        report["audit_rows"] += 1
    elif kind == "enroll":  # 3-5 references: one or two enrollments fill an account
        picks = rng.choice(len(candidates), int(rng.integers(3, 6)), replace=False)
        try:
            refs = service.enroll(operator, number, [candidates[i] for i in picks])
        except ServiceError as exc:
            assert "needs 3 to 10" in str(exc) or "no account" in str(exc), exc
            ops["enroll_refused"] += 1
            return
        report["refs"] += [(r.id, number) for r in refs]
        state["mine"] += [(r.id, number) for r in refs]
        state["known"].append(number)
        ops["enroll"] += 1
        report["audit_rows"] += 1
    elif kind == "verify":  # mostly on accounts with references
        known = state["known"]
        if pick_known and known and rng.random() < 0.8:
            number = known[int(rng.integers(len(known)))]
        try:
            check = service.check_cheque(sessions["clerk"], number, cheque)
        except ServiceError as exc:
            assert "no enrolled reference" in str(exc) or "no account" in str(exc), exc
            ops["verify_refused"] += 1
            return
        known.append(number)
        report["verifications"].append(check.audit_id)
        ops["verify"] += 1
        report["audit_rows"] += 1
        decision = SUGGESTED.get(check.result.decision, REFER)
        # Every check is of the same cheque file: once it was accepted, accepting it again
        # takes a reason; one accepted by another PC meanwhile is refused, to check again.
        reason = "the same test cheque again" if check.accepted_before else ""
        try:
            decision_id = service.record_decision(sessions["clerk"], check, decision, reason)
        except ServiceError as exc:
            assert "while you were deciding" in str(exc), exc
            ops["decide_refused"] += 1
            return
        report["decisions"].append((decision_id, check.audit_id))
        report["audit_rows"] += 1
    elif kind == "banknote":
        n = int(rng.integers(1, 3))
        notes = [NewBanknoteReference(
            "CYR-200-front", f"w{index}", f"note-{index}-{ops['banknote']}-{i}".encode(),
            rng.random(16).astype(np.float32), "note-model", f"n{i}.png") for i in range(n)]
        with store.transaction():  # as BanknoteServiceMixin.enroll_banknotes does
            stored = store.add_banknote_references(notes, "olga")
            store.append_audit("olga", "banknote_enroll", model_id="note-model",
                               details={"references": [r.id for r in stored]})
        report["banknotes"] += [r.id for r in stored]
        ops["banknote"] += 1
        report["audit_rows"] += 1
    elif kind == "revoke":
        mine = [m for m in state["mine"] if pick_known or m[1] == number]
        ref_id, owner = mine[int(rng.integers(len(mine)))]
        state["mine"].remove((ref_id, owner))
        service.revoke_reference(operator, owner, ref_id, f"worker {index} replaces it")
        report["revoked"].append(ref_id)
        ops["revoke"] += 1
        report["audit_rows"] += 1
    else:
        sessions["clerk"] = service.login("carl", PASSWORDS["carl"])
        service.search_accounts(sessions["clerk"], number[:6])
        ops["login"] += 1
        report["audit_rows"] += 1
