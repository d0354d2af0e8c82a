"""The back-office batch command: report, errors per row, interruption and resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.batch import REPORT_COLUMNS, BatchError, main, read_mapping
from desktop.core.audit import AuditFilter
from desktop.core.service import BranchService
from desktop.core.sqlite_store import SQLiteStore
from desktop.core.verification import SignatureVerifier
from tests.conftest import PASSWORDS
from tests.helpers import read_csv


@pytest.fixture()
def batch_env(tmp_path: Path, cheque_set: Path, shipped_model: Path, monkeypatch):
    """A store with both account holders enrolled, a mapping with two bad rows added."""
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SIGDESK_PASSWORD", PASSWORDS["carl"])
    db = tmp_path / "batch.sqlite"
    service = BranchService(SQLiteStore(db), SignatureVerifier(shipped_model, "cpu"))
    admin = service.create_first_admin("admin", PASSWORDS["admin"])
    service.create_user(admin, "carl", "clerk", PASSWORDS["carl"])
    for row in read_csv(cheque_set / "accounts.csv"):
        number = row["account_number"]
        service.create_account(admin, number, row["name"])
        refs = sorted((cheque_set / "references" / number).glob("*.png"))
        service.enroll(admin, number, service.assess_candidates(
            admin, service.load_candidates(admin, refs), number))
    service.store.close()
    mapping = tmp_path / "mapping.csv"
    text = (cheque_set / "mapping.csv").read_text()
    mapping.write_text(text + "missing.png,1002003000\nother.png,999999\n")
    args = [str(cheque_set / "cheques"), str(mapping), "--user", "carl", "--store", str(db),
            "--model", str(shipped_model), "--provider", "cpu", "--no-progress"]
    return args, db, tmp_path


def test_batch_report_and_resume_after_interruption(batch_env, cheque_set, capsys) -> None:
    args, db, tmp = batch_env
    full = tmp / "full.csv"
    assert main([*args, "--out", str(full)]) == 0
    out = capsys.readouterr().out
    assert "cheques/s" in out and "report" in out
    rows = read_csv(full)
    truth = {r["file"]: r["kind"] for r in read_csv(cheque_set / "truth.csv")}
    assert [r["file"] for r in rows] == [*truth, "missing.png", "other.png"]
    assert tuple(rows[0]) == REPORT_COLUMNS
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) == len(truth) and all(r["reasons"] for r in ok)
    errors = {r["file"]: r["reasons"] for r in rows if r["status"] == "error"}
    assert "file not found" in errors["missing.png"] and "999999" in errors["other.png"]

    # Interrupted after two cheques, then killed while writing the third row...
    part = tmp / "part.csv"
    assert main([*args, "--out", str(part), "--max-items", "2"]) == 0
    assert "left: run again" in capsys.readouterr().out
    assert len(read_csv(part)) == 2
    with open(part, "a", encoding="utf-8") as fh:
        fh.write(rows[2]["file"] + ",10020")  # a torn row, as SIGKILL mid-write leaves it
    # ...and resumed: the same report as the uninterrupted run, byte for byte.
    assert main([*args, "--out", str(part)]) == 0
    assert part.read_bytes() == full.read_bytes()
    # Every verification went into the audit log (the first run's and the resumed run's).
    store = SQLiteStore(db)
    verifies = store.audit_entries(AuditFilter(action="verify"))
    assert len(verifies) == 2 * len(truth) and {e.details["source"] for e in verifies} == {
        "batch"}
    assert store.verify_audit().ok


def test_batch_refuses_bad_setups(batch_env, tmp_path: Path, capsys, monkeypatch) -> None:
    args, _, tmp = batch_env
    bad_map = tmp_path / "bad.csv"
    bad_map.write_text("filename,account\nx.png,1\n")
    assert main([args[0], str(bad_map), *args[2:], "--out", str(tmp / "r.csv")]) == 2
    assert "bad.csv" in capsys.readouterr().err
    other = tmp / "other.csv"
    other.write_text("name,value\n")
    assert main([*args, "--out", str(other)]) == 2
    assert "not a report" in capsys.readouterr().err
    assert main([*args, "--out", str(tmp / "r1.csv"), "--target-far", "0.03"]) == 2
    assert "0.03 is not calibrated" in capsys.readouterr().err
    monkeypatch.setenv("SIGDESK_PASSWORD", "wrong-password")
    assert main([*args, "--out", str(tmp / "r2.csv")]) == 2
    assert "wrong password" in capsys.readouterr().err


def test_mapping_with_repeated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("file,account_number\na.png,1\na.png,2\n")
    with pytest.raises(BatchError, match="line 3 repeats a.png"):
        read_mapping(path)
