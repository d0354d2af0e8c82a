"""CSV formula injection (issue item 10): the neutralising rule and the audit export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from desktop.core.csvsafe import (
    SafeCsvWriter,
    SafeDictWriter,
    read_rows,
    restore_cell,
    safe_cell,
)
from desktop.core.errors import AuthError
from desktop.core.store.audit import AuditFilter
from tests.helpers import read_csv

TRICKY = ["=1+2", "+1234", "-1+cmd|' /C calc'!A0", "@SUM(1)", "\tx", "\rx", "\nx", "=",
          "'=already", "''=twice", "'plain", "'", "", "plain", "a=b", "-0.3127", "-2",
          "-1e-05", "'-0.5", "-", "+1", "−1 (unicode minus)", 'say "hi"', "a,b\nc", "a\rb"]


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1234", "'+1234"),
    ("@SUM(1).png", "'@SUM(1).png"),
    ("-1+cmd", "'-1+cmd"),
    ("\tcell", "'\tcell"),
    ("\rcell", "'\rcell"),
    ("\ncell", "'\ncell"),
    ("'=x", "''=x"),  # so that reading back is exact
    ("-0.3127", "-0.3127"),  # a plain negative number stays a number
    ("-1e-05", "-1e-05"),
    ("'plain", "'plain"),
    ("plain", "plain"),
    (None, ""),
    (-3, "-3"),
    (0.25, "0.25"),
])
def test_safe_cell(value, written: str) -> None:
    """The OWASP rule: a quote before = + - @ TAB CR LF; plain negative numbers kept."""
    assert safe_cell(value) == written


@pytest.mark.parametrize("value", TRICKY)
def test_restore_cell_undoes_safe_cell(value: str) -> None:
    """Reading back gives the exact original, whatever it starts with."""
    assert restore_cell(safe_cell(value)) == value
    neutral = safe_cell(value)
    assert not neutral.startswith(("=", "+", "@", "\t", "\r", "\n"))
    assert not neutral.startswith("-") or neutral.lstrip("-").replace(".", "").replace(
        "e-", "").isdigit()


def test_writers_round_trip_through_read_rows() -> None:
    """SafeCsvWriter / SafeDictWriter neutralise every cell; read_rows restores them."""
    buf = io.StringIO(newline="")
    SafeCsvWriter(buf, lineterminator="\n").writerows([TRICKY, ["ok", "=2"]])
    dict_writer = SafeDictWriter(buf, ["a", "b"], lineterminator="\n")
    dict_writer.writerow({"a": "@x"})
    with pytest.raises(ValueError, match="not in the header"):
        dict_writer.writerow({"c": 1})
    text = buf.getvalue()
    raw = list(csv.reader(io.StringIO(text, newline="")))
    assert len(raw) == 3  # the CR in "\rx" did not split the first record
    assert raw[1] == ["ok", "'=2"] and raw[2] == ["'@x", ""]
    assert list(read_rows(io.StringIO(text, newline=""))) == [TRICKY, ["ok", "=2"], ["@x", ""]]


def test_audit_export_neutralises_a_formula_user_name(branch, tmp_path: Path) -> None:
    """A failed login as =HYPERLINK("http://x") is exported as '=HYPERLINK(...), text."""
    service, s = branch
    evil = '=HYPERLINK("http://x")'
    with pytest.raises(AuthError):
        service.login(evil, "whatever-password")
    out = tmp_path / "audit.csv"
    assert service.export_audit_csv(s["admin"], out, AuditFilter(action="login_failed")) == 1
    (row,) = read_csv(out)
    assert row["username"] == "'" + evil
    assert row["details"].startswith("{")  # untouched: JSON starts with a brace
    assert '"\'=HYPERLINK(""http://x"")"' in out.read_text(encoding="utf-8")
    with open(out, newline="", encoding="utf-8") as fh:
        assert list(read_rows(fh))[1][2] == evil  # the app can read its own export back
