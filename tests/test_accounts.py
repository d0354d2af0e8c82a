"""The account desk and the audit export: an account number is one account however it is
typed, names are found whatever their case or Unicode form, and an export the folder refuses
is a clear error that leaves no half-written file."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.core.errors import ServiceError
from desktop.core.store.audit import AuditFilter
from tests.helpers import read_csv
from tests.test_service import _actions


@pytest.mark.parametrize("typed", ["0012345678", "0012\t3456 78", "0012-3456-78",
                                   "\uff10\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
                                   "0012345678\u200b", " 0012 3456 78\n"])
def test_an_account_number_is_one_account_however_it_is_typed(branch, typed: str) -> None:
    service, s = branch
    op, clerk = s["operator"], s["clerk"]
    acc = service.create_account(op, "0012 3456 78", "Holder")
    assert acc.account_number == "0012345678"  # stored canonical
    with pytest.raises(ServiceError, match="account 0012345678 already exists"):
        service.create_account(op, typed, "Somebody Else")
    assert service.account(clerk, typed) == acc
    assert service.search_accounts(clerk, typed) == [acc]
    assert service.search_accounts(clerk, "3456-78") == [acc]
    created = [e for e in service.store.audit_entries() if e.action == "account_created"]
    assert len(created) == 1 and created[0].account_number == "0012345678"
    assert created[0].details["typed"] == "0012 3456 78"  # what was typed is kept
    assert service.store.verify_audit().ok


def test_account_numbers_are_canonical_and_other_signs_refused(branch) -> None:
    service, s = branch
    op = s["operator"]
    assert service.create_account(op, "gb29-nwbk 6016", "Letters").account_number == (
        "GB29NWBK6016")
    assert service.create_account(op, "\u0661\u0662\u0663", "Arabic digits"
                                  ).account_number == "123"
    for typed, named in [("12/34", "U+002F SOLIDUS"), ("0012\n34", "U+000A"),
                         ("\u0410123", "CYRILLIC CAPITAL LETTER A"), ("12.34", "FULL STOP")]:
        with pytest.raises(ServiceError, match="letters A-Z and digits|control character") as err:
            service.create_account(op, typed, "Refused")
        assert named in str(err.value) and repr(typed) in str(err.value)
    for typed in ["", " - ", "\u200b"]:
        with pytest.raises(ServiceError, match="account number and the holder's name"):
            service.create_account(op, typed, "Nobody")
    assert [a.account_number for a in service.search_accounts(op, "")] == ["123",
                                                                           "GB29NWBK6016"]


def test_accounts_stored_as_typed_before_are_found_never_duplicated(branch) -> None:
    # A store written by an earlier version holds the numbers as they were typed.
    service, s = branch
    op, clerk = s["operator"], s["clerk"]
    old = service.store.create_account("1002 0030 00", "Old Holder", "olga")
    with pytest.raises(ServiceError, match="stored as '1002 0030 00'"):
        service.create_account(op, "1002003000", "New Holder")
    assert service.account(clerk, "1002003000") == old
    assert service.account(clerk, "1002-0030-00") == old
    assert service.search_accounts(clerk, "1002 0030 00") == [old]
    assert service.store.get_account("1002 0030 00") == old  # the row is as it was
    # The same number stored twice, differently typed (the old bug): none is guessed, each
    # is still reachable exactly as stored, nothing is merged or lost.
    twin = service.store.create_account("1002-003000", "Twin Holder", "olga")
    with pytest.raises(ServiceError, match="matches several accounts .*'1002 0030 00', "
                                           "'1002-003000'"):
        service.account(clerk, "1002003000")
    assert service.account(clerk, "1002 0030 00") == old
    assert service.account(clerk, " 1002-003000 ") == twin
    assert service.search_accounts(clerk, "1002003000") == [old, twin]
    with pytest.raises(ServiceError, match="there is no account 999"):
        service.account(clerk, " 999 ")


def test_holder_names_are_stored_nfc_and_searched_whatever_their_case(branch) -> None:
    service, s = branch
    op, clerk = s["operator"], s["clerk"]
    huong = service.create_account(op, "1", " \u0110\u1eb7ng  Th\u1ecb H\u01b0\u01a1ng ")
    jose = service.create_account(op, "2", "Jose\u0301 M\u00fcller")  # typed in NFD
    assert jose.holder_name == "Jos\u00e9 M\u00fcller"  # stored in NFC
    assert huong.holder_name == "\u0110\u1eb7ng Th\u1ecb H\u01b0\u01a1ng"
    assert service.search_accounts(clerk, "H\u01af\u01a0NG") == [huong]  # HƯƠNG
    assert service.search_accounts(clerk, "\u0111\u1eb7ng") == [huong]  # đặng
    assert service.search_accounts(clerk, "Jos\u00e9") == [jose]
    assert service.search_accounts(clerk, "JOSE\u0301") == [jose]  # NFD, upper case
    assert service.search_accounts(clerk, "%") == []


def test_audit_export_csv(branch, tmp_path) -> None:
    service, s = branch
    out = tmp_path / "audit.csv"
    n = service.export_audit_csv(s["admin"], out, AuditFilter(action="login"))
    rows = read_csv(out)
    assert n == len(rows) == 2 and {r["username"] for r in rows} == {"olga", "carl"}


def _refuse_writes_in(monkeypatch, folder: Path, err: int) -> None:
    """Opening any file in ``folder`` for writing fails with ``err``, as on a read-only
    mount (whichever of open() and os.open() the code uses; root writes through chmod)."""
    import builtins
    import errno
    import os

    def refused(file) -> bool:
        return isinstance(file, (str, os.PathLike)) and Path(file).parent == folder

    real_open, real_os_open = builtins.open, os.open

    def fake_open(file, mode="r", *args, **kwargs):
        if refused(file) and set(mode) & set("wax+"):
            raise OSError(err, os.strerror(err), str(file))
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(file, flags, *args, **kwargs):
        if refused(file) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(err, os.strerror(err), str(file))
        return real_os_open(file, flags, *args, **kwargs)

    assert err in (errno.EROFS, errno.EACCES)
    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)


def test_audit_export_to_a_read_only_folder_is_a_clear_error(branch, tmp_path,
                                                            monkeypatch) -> None:
    import errno

    service, s = branch
    folder = tmp_path / "read-only"
    folder.mkdir()
    _refuse_writes_in(monkeypatch, folder, errno.EROFS)
    with pytest.raises(ServiceError, match=r"read-only.audit\.csv: the audit log cannot be "
                                           r"written there \(Read-only file system\)"):
        service.export_audit_csv(s["admin"], folder / "audit.csv")
    monkeypatch.undo()
    assert list(folder.iterdir()) == []
    assert "audit_exported" not in _actions(service)


def test_audit_export_to_a_folder_without_permission_is_a_clear_error(branch,
                                                                     tmp_path) -> None:
    import os

    service, s = branch
    folder = tmp_path / "no-write"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user (root) writes whatever the folder's mode")
        with pytest.raises(ServiceError, match="the audit log cannot be written there "
                                               r"\(Permission denied\)"):
            service.export_audit_csv(s["admin"], folder / "audit.csv")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_failed_audit_export_leaves_no_partial_file_and_the_earlier_one_whole(
        branch, tmp_path, monkeypatch) -> None:
    import errno

    from desktop.core.branch import audit_admin as service_module
    from desktop.core.csvsafe import SafeDictWriter

    class DiskFull(SafeDictWriter):
        def writerow(self, row):
            raise OSError(errno.ENOSPC, "No space left on device")

    service, s = branch
    out = tmp_path / "audit.csv"
    out.write_text("an earlier export\n", encoding="utf-8")
    monkeypatch.setattr(service_module, "SafeDictWriter", DiskFull)
    with pytest.raises(ServiceError, match=r"cannot be written there \(No space left"):
        service.export_audit_csv(s["admin"], out)
    assert list(tmp_path.glob("*audit.csv*")) == [out]  # no part-written file beside it
    assert out.read_text(encoding="utf-8") == "an earlier export\n"
    monkeypatch.undo()
    assert service.export_audit_csv(s["admin"], out) == len(read_csv(out)) > 0
    assert list(tmp_path.glob("*audit.csv*")) == [out]


def test_an_export_over_a_private_file_keeps_it_private(branch, tmp_path) -> None:
    import os
    import stat

    service, s = branch
    out = tmp_path / "audit.csv"
    out.write_text("old")
    os.chmod(out, 0o600)
    service.export_audit_csv(s["admin"], out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and read_csv(out)
