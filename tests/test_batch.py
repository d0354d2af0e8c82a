"""The back-office batch command: report, errors per row, interruption and resume."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from desktop.batch import REPORT_COLUMNS, BatchError, main, read_mapping
from desktop.core.branch.service import BranchService
from desktop.core.signature.verification import SignatureVerifier
from desktop.core.store.audit import AuditFilter
from desktop.core.store.backends import SQLiteStore
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
    assert "a clerk may not choose the decision settings" in capsys.readouterr().err
    monkeypatch.setenv("SIGDESK_PASSWORD", PASSWORDS["admin"])  # an administrator may
    assert main([*args, "--user", "admin", "--out", str(tmp / "r1.csv"), "--target-far",
                 "0.03"]) == 2
    assert "0.03 is not calibrated" in capsys.readouterr().err
    monkeypatch.setenv("SIGDESK_PASSWORD", "wrong-password")
    assert main([*args, "--out", str(tmp / "r2.csv")]) == 2
    assert "wrong password" in capsys.readouterr().err


def test_mapping_with_repeated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("file,account_number\na.png,1\na.png,2\n")
    with pytest.raises(BatchError, match="line 3 repeats a.png"):
        read_mapping(path)


# ---- issue items 10 and 17: formula injection, permission, idempotent resume, bad arguments


def _own_set(batch_env, cheque_set: Path, rows: list[tuple[str, str, str | None]]):
    """A cheque folder and mapping of our own: (file name, account, source cheque or None for
    a missing file). Returns (args with the new folder and mapping, mapping path)."""
    import csv
    import shutil

    args, _, tmp = batch_env
    folder = tmp / "own_cheques"
    folder.mkdir(exist_ok=True)
    for name, _, source in rows:
        if source is not None:
            shutil.copyfile(cheque_set / "cheques" / source, folder / name)
    mapping = tmp / "own_mapping.csv"
    with open(mapping, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("file", "account_number"), *[r[:2] for r in rows]])
    return [str(folder), str(mapping), *args[2:]], mapping


def _verifies(db: Path) -> list:
    store = SQLiteStore(db)
    try:
        assert store.verify_audit().ok
        return store.audit_entries(AuditFilter(action="verify"))
    finally:
        store.close()


def test_report_cells_are_neutralised_and_resume_still_works(batch_env, cheque_set) -> None:
    """Item 10: a file named @SUM(1).png and an account +1234 are written with a leading
    quote; a resume recognises the quoted file name and does not verify it again."""
    _, db, tmp = batch_env
    args, _ = _own_set(batch_env, cheque_set, [
        ("@SUM(1).png", "1002003000", "cheque_0003.png"),
        ("=cmd.png", "+1234", None),
        ("plain.png", "1002003000", "cheque_0000.png"),
    ])
    out = tmp / "formula.csv"
    assert main([*args, "--out", str(out), "--max-items", "1"]) == 0
    assert main([*args, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "\n'@SUM(1).png,1002003000,ok," in text
    assert "\n'=cmd.png,'+1234,error," in text
    rows = read_csv(out)
    assert [r["file"] for r in rows] == ["'@SUM(1).png", "'=cmd.png", "plain.png"]
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())
    assert len(_verifies(db)) == 2  # one per verifiable row: the resume redid nothing
    assert main([*args, "--out", str(out)]) == 0  # complete: a third run changes nothing
    assert out.read_text(encoding="utf-8") == text


def test_file_name_with_newline_is_not_redone_on_resume(batch_env, cheque_set) -> None:
    """Item 17: the report is read back as CSV records, so a file name holding a line break
    counts as done (before, each resume verified it again and appended another line)."""
    _, db, tmp = batch_env
    args, _ = _own_set(batch_env, cheque_set, [
        ("two\nlines.png", "1002003000", "cheque_0003.png"),
        ("next.tif", "1002003001", "cheque_0001.tif"),
    ])
    out = tmp / "newline.csv"
    assert main([*args, "--out", str(out), "--max-items", "1"]) == 0
    assert main([*args, "--out", str(out)]) == 0
    assert main([*args, "--out", str(out)]) == 0
    assert [r["file"] for r in read_csv(out)] == ["two\nlines.png", "next.tif"]
    assert len(_verifies(db)) == 2


def test_kill_between_audit_and_report_line_is_not_verified_twice(
        batch_env, cheque_set, monkeypatch) -> None:
    """Item 17: the process stops after the audit commit of row 2 but before its report
    line; the resume rebuilds that line from the audit entry (same bytes as an uninterrupted
    run) and leaves exactly one verify entry per row of the run."""
    import desktop.batch as batch

    args, db, tmp = batch_env
    mapping = read_mapping(Path(args[1]))
    full = tmp / "uninterrupted.csv"
    assert main([*args, "--out", str(full)]) == 0
    out = tmp / "killed.csv"
    real_write = batch._ReportFile.write

    def dies_on_row_2(self, row) -> None:
        if row[0] == mapping[1][0]:
            raise KeyboardInterrupt  # after check_cheque committed its audit entry
        real_write(self, row)

    monkeypatch.setattr(batch._ReportFile, "write", dies_on_row_2)
    assert main([*args, "--out", str(out)]) == 130
    assert len(read_csv(out)) == 1
    monkeypatch.setattr(batch._ReportFile, "write", real_write)
    assert main([*args, "--out", str(out)]) == 0
    assert out.read_bytes() == full.read_bytes()
    run_id = batch.batch_run_id(Path(args[1]), out)
    mine = [e for e in _verifies(db) if e.details.get(batch.RUN_KEY) == run_id]
    rows = sorted(e.details[batch.ROW_KEY] for e in mine)
    assert rows == [1, 2, 3, 4]  # the four verifiable rows, once each (5, 6 are errors)
    assert {e.details["cheque"] for e in mine} == {name for name, _ in mapping[:4]}


def test_user_who_may_not_verify_is_refused_before_any_report(batch_env, monkeypatch,
                                                              capsys) -> None:
    """Item 17: an operator (no verify permission) gets exit 2 and no report, instead of a
    report full of refusals that later runs would never redo."""
    args, db, tmp = batch_env
    store = SQLiteStore(db)
    service = BranchService(store, None)
    admin = service.login("admin", PASSWORDS["admin"])
    service.create_user(admin, "olga", "operator", PASSWORDS["olga"])
    store.close()
    out = tmp / "olga.csv"
    user_at = args.index("--user") + 1
    refused = [*args[:user_at], "olga", *args[user_at + 1:]]
    monkeypatch.setenv("SIGDESK_PASSWORD", PASSWORDS["olga"])
    assert main([*refused, "--out", str(out)]) == 2
    assert "user olga (role operator) may not verify cheques" in capsys.readouterr().err
    assert not out.exists()
    assert _verifies(db) == []


def test_bad_arguments_give_clear_errors(batch_env, capsys) -> None:
    """Item 17: --out naming a folder or a missing folder, and --max-items below 1, exit 2
    with a message naming the argument instead of a traceback or a silent surprise."""
    args, db, tmp = batch_env
    folder = tmp / "reports"
    folder.mkdir()
    assert main([*args, "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"--out {folder}: is a folder" in err
    missing = tmp / "nowhere" / "r.csv"
    assert main([*args, "--out", str(missing)]) == 2
    assert f"the folder {missing.parent} does not exist" in capsys.readouterr().err
    for bad in ("-1", "0"):
        assert main([*args, "--out", str(tmp / "r.csv"), "--max-items", bad]) == 2
        assert f"--max-items {bad}: give a positive number" in capsys.readouterr().err
    assert not (tmp / "r.csv").exists() and _verifies(db) == []


@pytest.mark.parametrize(("text", "message"), [
    ("", "the mapping is empty"),
    ("file,account_number\n", "has a header but no cheque rows"),
    ("filename,account\nx.png,1\n", "lacks the column(s) account_number, file"),
    ("file,account_number\na.png,1,extra\n", "line 2 has more cells than the header"),
    ("file,account_number\na.png,1\nb.png,2\na.png,1\n", "line 4 repeats a.png"),
])
def test_bad_mappings_are_refused_clearly(tmp_path: Path, text: str, message: str) -> None:
    """Item 17: empty mapping, header only, wrong columns, extra cells, duplicate rows."""
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BatchError, match=re.escape(message)):
        read_mapping(path)


def test_torn_record_with_a_quoted_line_break_is_cut(tmp_path: Path) -> None:
    """Item 17: a record cut off inside a quoted cell holding a line break is removed whole
    (the old line-based cut kept half of it)."""
    from desktop.batch import read_report

    path = tmp_path / "r.csv"
    header = ",".join(REPORT_COLUMNS) + "\n"
    complete = '"a\nb.png",1,error,,,,,,,,,"no, really"\n'
    path.write_text(header + complete + '"c\nd.png",1,ok,genuine,0.9', encoding="utf-8")
    assert read_report(path) == [["a\nb.png", "1", "error", *[""] * 8, "no, really"]]
    assert path.read_text(encoding="utf-8") == header + complete


def test_an_out_file_that_is_not_a_report_is_refused_untouched(tmp_path: Path) -> None:
    """--out naming the mapping (no final line break) or a ledger with an odd quote: refused
    as not a report, byte for byte as it was (the torn-record repair cut them first)."""
    from desktop.batch import read_report

    mapping = tmp_path / "mapping.csv"
    mapping.write_bytes(b"file,account_number\na.png,1002003000\nb.png,1002003001")
    ledger = tmp_path / "ledger.csv"
    ledger.write_bytes(b'id,note\n1,6" cheque book\n' + b"".join(b"%d,row\n" % i
                                                                for i in range(2, 200)))
    for path in (mapping, ledger):
        before = path.read_bytes()
        with pytest.raises(BatchError, match="not a report of this command"):
            read_report(path)
        assert path.read_bytes() == before
    # A report killed while its header was being written is redone from the start.
    torn = tmp_path / "torn.csv"
    torn.write_text(",".join(REPORT_COLUMNS)[:9], encoding="utf-8")
    assert read_report(torn) == [] and torn.read_bytes() == b""


def test_a_cheque_accepted_before_is_flagged_in_the_report(batch_env, cheque_set,
                                                           shipped_model: Path) -> None:
    """A cheque already accepted at a counter (the same file) is flagged in its row's
    reasons, naming the decision; another's earlier refer is listed; the others are not."""
    args, db, tmp = batch_env
    truth = read_csv(cheque_set / "truth.csv")
    paid = next(r for r in truth if r["kind"] == "genuine" and r["account_number"]
                == "1002003001")
    referred = next(r for r in truth if r["kind"] == "forged")
    service = BranchService(SQLiteStore(db), SignatureVerifier(shipped_model, "cpu"))
    clerk = service.login("carl", PASSWORDS["carl"])
    check = service.check_cheque(clerk, paid["account_number"],
                                 cheque_set / "cheques" / paid["file"])
    assert check.result.decision == "genuine"
    paid_id = service.record_decision(clerk, check, "accept")
    check = service.check_cheque(clerk, referred["account_number"],
                                 cheque_set / "cheques" / referred["file"])
    referred_id = service.record_decision(clerk, check, "refer")
    service.store.close()

    out = tmp / "report.csv"
    assert main([*args, "--out", str(out)]) == 0
    reasons = {r["file"]: r["reasons"] for r in read_csv(out)}
    assert re.search(rf"; ALREADY ACCEPTED \(the same cheque file presented again\?\): accept "
                     rf"on \S+ \S+ UTC by carl for account 1002003001 \(decision #{paid_id}, "
                     rf"file {re.escape(paid['file'])}\)$", reasons[paid["file"]])
    assert re.search(rf"; earlier decisions on the same file: refer on \S+ \S+ UTC by carl "
                     rf"for account {referred['account_number']} \(decision #{referred_id}",
                     reasons[referred["file"]])
    assert "ALREADY" not in reasons[referred["file"]]
    assert sum("earlier decisions" in r or "ALREADY" in r for r in reasons.values()) == 2
