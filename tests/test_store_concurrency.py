"""Eight clerk PCs on one store: 8 processes (spawned, each with its own connection and the
real model) each run a fixed script of operations (:func:`tests.store_workload.script`:
creating the same accounts, enrolling, checking cheques and deciding, enrolling reference
notes, revoking, logging in) at the same time, on PostgreSQL and on an SQLite file. There is
no time limit: a busy machine only makes it slower. Afterwards the store must hold exactly
what the workers say they stored, once each, with an unbroken audit chain. The timed load
run is a benchmark: ``python benchmarks/store_concurrency.py LOCATION [seconds]``."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from pathlib import Path

from desktop.core.store.factory import open_store
from desktop.core.store.records import is_postgres_url
from tests.store_workload import ACCOUNTS, run_worker, set_up

WORKERS = 8
HANG_GUARD_S = 3600  # only to end a hung run: no operation depends on the clock


def run_workers(location: str, model: Path, cheque_set: Path, seconds: float | None = None,
                workers: int = WORKERS) -> list[dict]:
    """Start ``workers`` processes on ``location`` (each its script, or a random mix for
    ``seconds``) and return their reports."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    cheque = next((cheque_set / "cheques").iterdir())
    references = sorted(str(p) for p in (cheque_set / "references").rglob("*.png"))
    procs = [ctx.Process(target=run_worker, args=(i, location, str(model), str(cheque),
                                                  references, seconds, barrier, results))
             for i in range(workers)]
    for p in procs:
        p.start()
    reports = []
    try:
        barrier.wait(timeout=HANG_GUARD_S)  # every worker has its model and sessions: go
        started = time.monotonic()
        while len(reports) < workers:
            reports.append(results.get(timeout=HANG_GUARD_S))
        elapsed = time.monotonic() - started
    except BaseException:  # a worker hung or died: stop them all
        for p in procs:
            p.kill()
        raise
    finally:
        for p in procs:
            p.join(timeout=30)
    ops = Counter()
    for r in reports:
        ops.update(r["ops"])
    done = sum(v for k, v in ops.items() if not k.endswith("_refused"))
    backend = "PostgreSQL" if is_postgres_url(location) else "SQLite"
    what = "their scripts" if seconds is None else f"{seconds:.0f} s"
    print(f"\n{workers} processes, {what} on {backend}: {done} operations done "
          f"in {elapsed:.1f} s ({done / elapsed:.1f}/s), {sum(ops.values()) - done} refused "
          "as they should; "
          + ", ".join(f"{k} {v}" for k, v in sorted(ops.items())))
    return reports


def _check_store(location: str, reports: list[dict], setup_rows: int) -> None:
    for r in reports:
        assert not r["errors"], f"worker {r['index']} failed:\n" + "\n".join(r["errors"])
    ops = Counter()
    for r in reports:
        ops.update(r["ops"])
    for kind in ("create", "create_refused", "enroll", "verify", "banknote"):
        assert ops[kind] > 0, f"no {kind} happened: {dict(ops)}"

    store = open_store(location)
    try:
        # Accounts: each number created by exactly one worker, none twice in the store.
        created = Counter(n for r in reports for n in r["created"])
        accounts = store.search_accounts("7000", limit=1000)
        numbers = Counter(a.account_number for a in accounts)
        assert all(v == 1 for v in created.values()), created
        assert numbers == created and set(numbers) <= set(ACCOUNTS)
        by_id = {a.id: a.account_number for a in accounts}

        # References: exactly the reported ones, once each, on the right account.
        reported = Counter(ref_id for r in reports for ref_id, _ in r["refs"])
        assert all(v == 1 for v in reported.values())
        owner = {ref_id: number for r in reports for ref_id, number in r["refs"]}
        stored = [ref for a in accounts for ref in store.references(a.id, include_revoked=True)]
        assert Counter(ref.id for ref in stored) == reported
        assert all(by_id[ref.account_id] == owner[ref.id] for ref in stored)
        revoked = {ref_id for r in reports for ref_id in r["revoked"]}
        assert {ref.id for ref in stored if ref.status == "revoked"} == revoked
        for a in accounts:  # the enrollment limit held under concurrency
            assert len(store.references(a.id)) <= 10, a.account_number

        # Decisions: the reported ones, each on a verification of the audit log.
        decisions = [d for a in accounts for d in store.decisions(a.id)]
        assert sorted(d.verification_id for d in decisions) == sorted(
            v for r in reports for _, v in r["decisions"])
        for verification in (v for r in reports for v in r["verifications"]):
            assert store.audit_entry(verification).action == "verify"
        # Every check is of the same cheque file: however the PCs interleave, it is accepted
        # without a reason at most once (every later acceptance gave one).
        assert len({d.cheque_sha256 for d in decisions}) <= 1
        assert len([d for d in decisions
                    if d.decision == "accept" and not d.override_reason]) <= 1

        notes = store.banknote_references(include_revoked=True)
        assert sorted(n.id for n in notes) == sorted(i for r in reports for i in r["banknotes"])

        # The audit chain: unbroken, no gap, one row per audited action.
        check = store.verify_audit()
        assert check.ok, check
        assert check.rows == setup_rows + sum(r["audit_rows"] for r in reports)
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_eight_processes_on_postgresql(pg_url: str, shipped_model: Path,
                                       cheque_set: Path) -> None:
    setup_rows = set_up(pg_url)
    reports = run_workers(pg_url, shipped_model, cheque_set)
    _check_store(pg_url, reports, setup_rows)


def test_eight_processes_on_sqlite(tmp_path: Path, shipped_model: Path,
                                   cheque_set: Path) -> None:
    """Before: each worker ran for 5 s; on a busy machine no process reached a check."""
    location = str(tmp_path / "shared.sqlite")
    setup_rows = set_up(location)
    reports = run_workers(location, shipped_model, cheque_set)
    _check_store(location, reports, setup_rows)
    ops = Counter()
    for r in reports:
        ops.update(r["ops"])
    # The scripts' guarantees: 4 shared + 8 own accounts, 28 refused creations, every
    # worker enrolled into its own account and checked cheques there, revoked one of them.
    assert ops["create"] == 4 + WORKERS and ops["create_refused"] == 4 * WORKERS - 4
    assert ops["verify"] >= 3 * WORKERS and ops["revoke"] == WORKERS
    assert ops["banknote"] == 2 * WORKERS and ops["login"] == WORKERS


def test_two_operators_cannot_pass_the_reference_limit_together(open_test_store,
                                                                 shipped_model: Path) -> None:
    """Operator A has counted 0 references and is writing 6; operator B (another PC) counts
    at the same moment and would write 6 more. B must wait for A and then be refused."""
    import threading

    import numpy as np

    from desktop.core.branch.service import BranchService
    from desktop.core.errors import ServiceError
    from desktop.core.signature.enrollment import Candidate
    from desktop.core.signature.verification import SignatureVerifier

    paused, resume = threading.Event(), threading.Event()
    first = open_test_store("shared")
    original = first._after_reference_insert

    def pause_once(count: int) -> None:  # inside A's transaction, after its count
        if count == 1 and not paused.is_set():
            paused.set()
            resume.wait(20)
        original(count)

    first._after_reference_insert = pause_once
    verifier = SignatureVerifier(shipped_model, "cpu")
    a = BranchService(first, verifier)
    admin = a.create_first_admin("admin", "admin-pass-123")
    a.create_user(admin, "olga", "operator", "operator-pass-1")
    a.create_account(admin, "1", "Holder")
    b = BranchService(open_test_store("shared"), verifier)
    sessions = [s.login("olga", "operator-pass-1") for s in (a, b)]
    rng = np.random.default_rng(0)

    def candidates(tag: str) -> list[Candidate]:
        return [Candidate(f"{tag}{i}.png", np.full((20, 40), 200, np.uint8),
                          embedding=rng.random(8).astype(np.float32)) for i in range(6)]

    outcome: dict[str, object] = {}

    def enroll(name: str, service: BranchService, session) -> None:
        try:
            outcome[name] = len(service.enroll(session, "1", candidates(name)))
        except ServiceError as exc:
            outcome[name] = str(exc)

    ta = threading.Thread(target=enroll, args=("a", a, sessions[0]))
    ta.start()
    assert paused.wait(20)
    tb = threading.Thread(target=enroll, args=("b", b, sessions[1]))
    tb.start()
    tb.join(1.0)
    assert tb.is_alive(), f"B did not wait for A: {outcome}"  # held by the lock
    resume.set()
    ta.join(30)
    tb.join(30)
    assert outcome["a"] == 6
    assert "would give 12 (6 enrolled + 6 new)" in str(outcome["b"])
    assert len(first.references(first.get_account("1").id)) == 6
    assert first.verify_audit().ok
