"""The decision settings in force are the administrator's audited ones, not an edited file's.

``settings.json`` can be written by the clerk's own OS account: a security level loosened
there, or a damaged file falling back to the defaults, must not change how cheques are judged
without a trace. The batch command follows the same rule, and a clerk may not pick other
settings on its command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.core import paths
from desktop.core.branch.config import AppConfig
from desktop.core.branch.decisions import DecisionSettings
from desktop.core.branch.settings_check import (
    DIFFERS_ACTION,
    audited_settings,
    chosen_settings,
    settings_in_force,
)
from desktop.core.errors import PermissionDenied, ServiceError
from desktop.core.signature.cheque import DEFAULT_ZONE, SignatureZone
from desktop.core.store.audit import AuditFilter

STRICT = DecisionSettings("distance", 0.005, DEFAULT_ZONE)
LOOSE = DecisionSettings("distance", 0.2, DEFAULT_ZONE)


def _file(settings: DecisionSettings, **other) -> AppConfig:
    """A settings file holding ``settings``."""
    return AppConfig(method=settings.method, target_far=settings.target_far,
                     zone=settings.zone.to_dict(), **other)


def _differs(service) -> list:
    return service.store.audit_entries(AuditFilter(action=DIFFERS_ACTION))


def test_without_an_audited_change_the_file_is_used(branch) -> None:
    service, sessions = branch
    in_force = settings_in_force(service, sessions["clerk"], _file(LOOSE))
    assert in_force.settings == LOOSE and in_force.notice is None
    assert service.settings == LOOSE and _differs(service) == []


def test_a_loosened_file_is_overruled_by_the_audited_level(branch) -> None:
    service, sessions = branch
    service.change_settings(sessions["admin"], STRICT)
    assert audited_settings(service.store)[0] == STRICT
    assert settings_in_force(service, sessions["clerk"], _file(STRICT)).notice is None
    in_force = settings_in_force(service, sessions["clerk"], _file(LOOSE),
                                 "/data/settings.json")
    assert in_force.settings == STRICT and service.settings == STRICT
    assert in_force.config.target_far == 0.005
    text = str(in_force.notice)
    assert "/data/settings.json" in text and "security level 0.5%" in text and "admin" in text
    [row] = _differs(service)
    assert row.username == "carl" and row.details["file"] == {"target_far": 0.2}
    assert row.details["used_audit_rows"] == [audited_settings(service.store)[1].id]
    assert service.store.verify_audit().ok


def test_a_moved_zone_or_another_method_is_a_difference_too(branch) -> None:
    service, sessions = branch
    service.change_settings(sessions["admin"], STRICT)
    moved = DecisionSettings("distance", 0.005, SignatureZone(0.0, 0.0, 0.3, 0.2))
    assert settings_in_force(service, sessions["clerk"], _file(moved)).settings == STRICT
    other = DecisionSettings("svm", 0.005, DEFAULT_ZONE)
    assert settings_in_force(service, sessions["clerk"], _file(other)).settings == STRICT
    assert len(_differs(service)) == 2


def test_this_pcs_settings_come_first_and_a_new_pc_gets_the_newest_of_any(branch,
                                                                         monkeypatch) -> None:
    """A shared store: each PC its own settings. A PC with none of its own (a new one, or a
    host name changed to escape them: a reviewer ran the app under another name in a user
    namespace) gets the newest an administrator set anywhere, not its file."""
    service, sessions = branch
    monkeypatch.setattr(paths, "this_pc", lambda: "branch-pc-2")
    service.change_settings(sessions["admin"], STRICT)
    monkeypatch.setattr(paths, "this_pc", lambda: "branch-pc-1")
    service.change_settings(sessions["admin"], DecisionSettings("distance", 0.01,
                                                                DEFAULT_ZONE))
    assert audited_settings(service.store)[0].target_far == 0.01
    assert audited_settings(service.store, "branch-pc-2")[0] == STRICT
    assert settings_in_force(service, sessions["clerk"], _file(LOOSE)).settings.target_far \
        == 0.01
    monkeypatch.setattr(paths, "this_pc", lambda: "not-this-pc")
    assert settings_in_force(service, sessions["clerk"], _file(LOOSE)).settings.target_far \
        == 0.01  # the newest of any PC


def test_only_an_administrator_chooses_other_settings(branch) -> None:
    service, sessions = branch
    assert chosen_settings(service, sessions["clerk"], STRICT) == STRICT
    with pytest.raises(PermissionDenied, match="a clerk may not choose the decision settings"):
        chosen_settings(service, sessions["clerk"], STRICT, target_far=0.2)
    with pytest.raises(PermissionDenied):
        chosen_settings(service, sessions["clerk"], STRICT, method="svm")
    assert chosen_settings(service, sessions["admin"], STRICT, target_far=0.01).target_far \
        == 0.01 and service.settings.target_far == 0.01
    with pytest.raises(ServiceError, match="0.03 is not calibrated"):
        chosen_settings(service, sessions["admin"], STRICT, target_far=0.03)


def test_the_batch_judges_at_the_audited_level_whatever_the_file_says(
        branch, cheque_set: Path, shipped_model: Path, tmp_path: Path, monkeypatch,
        capsys) -> None:
    from desktop.batch import main
    from tests.conftest import PASSWORDS
    from tests.helpers import read_csv

    service, sessions = branch
    service.change_settings(sessions["admin"], STRICT)
    holder = read_csv(cheque_set / "accounts.csv")[0]
    number = holder["account_number"]
    service.create_account(sessions["admin"], number, holder["name"])
    refs = sorted((cheque_set / "references" / number).glob("*.png"))
    service.enroll(sessions["admin"], number, service.assess_candidates(
        sessions["admin"], service.load_candidates(sessions["admin"], refs), number))
    cheque = next(r["file"] for r in read_csv(cheque_set / "mapping.csv")
                  if r["account_number"] == number)
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.json").write_text(json.dumps({"target_far": 0.2}))  # the clerk's edit
    monkeypatch.setenv("SIGDESK_HOME", str(home))
    monkeypatch.setenv("SIGDESK_PASSWORD", PASSWORDS["carl"])
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(f"file,account_number\n{cheque},{number}\n")
    out = tmp_path / "report.csv"
    assert main([str(cheque_set / "cheques"), str(mapping), "--user", "carl", "--store",
                 service.store.location, "--model", str(shipped_model), "--provider", "cpu",
                 "--no-progress", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "settings.json differ" in err and "security level 0.5%" in err
    assert [r["status"] for r in read_csv(out)] == ["ok"]
    [verify] = service.store.audit_entries(AuditFilter(action="verify"))
    assert verify.details["target_far"] == 0.005  # judged at the administrator's level
    [row] = _differs(service)
    assert row.username == "carl" and row.details["file"]["target_far"] == 0.2


def test_the_window_opens_on_the_audited_settings_and_says_so(qtbot, branch, shipped_model,
                                                              monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from desktop.app import branch_window
    service, sessions = branch
    service.change_settings(sessions["admin"], STRICT)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    config = AppConfig(model_dir=str(shipped_model), provider="cpu", target_far=0.2)
    service.settings = LOOSE  # as the app builds the service from the file
    win = branch_window(service, sessions["clerk"], config)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_ready, timeout=30000):
        win.show()
    assert len(shown) == 1 and "the administrator's are used" in shown[0]
    assert win.config.target_far == 0.005 and service.settings == STRICT
    assert len(_differs(service)) == 1


def test_a_clerk_may_not_pick_another_model_for_the_batch(branch, cheque_set, tiny_model,
                                                          tmp_path, monkeypatch,
                                                          capsys) -> None:
    from desktop.batch import main
    from tests.conftest import PASSWORDS

    service, _ = branch
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SIGDESK_PASSWORD", PASSWORDS["carl"])
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("file,account_number\nnone.png,1\n")
    assert main([str(cheque_set / "cheques"), str(mapping), "--user", "carl", "--store",
                 service.store.location, "--model", str(tiny_model), "--provider", "cpu",
                 "--no-progress", "--out", str(tmp_path / "r.csv")]) == 2
    assert "a clerk may not choose the model" in capsys.readouterr().err
    monkeypatch.setenv("SIGDESK_MODEL_DIR", str(tiny_model))  # the same choice, hidden
    assert main([str(cheque_set / "cheques"), str(mapping), "--user", "carl", "--store",
                 service.store.location, "--provider", "cpu", "--no-progress", "--out",
                 str(tmp_path / "r.csv")]) == 2
    assert "a clerk may not choose the model" in capsys.readouterr().err
    assert not (tmp_path / "r.csv").exists()


def test_the_model_folders_and_idle_timeout_are_the_audited_ones_too(branch) -> None:
    """A reviewer pointed model_dir at a doctored copy and stretched the idle lock to 240
    minutes in settings.json; neither was compared with what the administrator set."""
    service, sessions = branch
    service.change_settings(sessions["admin"], STRICT, {"model_dir": "",
                                                        "banknote_model_dir": "",
                                                        "idle_timeout_minutes": 5})
    edited = _file(STRICT, model_dir="/home/clerk/evil/signature",
                   banknote_model_dir="/home/clerk/evil/banknote", idle_timeout_minutes=240)
    in_force = settings_in_force(service, sessions["clerk"], edited)
    assert in_force.config.model_dir == "" and in_force.config.banknote_model_dir == ""
    assert in_force.config.idle_timeout_minutes == 5
    assert service.idle_timeout.total_seconds() == 300 and in_force.settings == STRICT
    assert "banknote_model_dir, idle_timeout_minutes, model_dir" in str(in_force.notice)
    [row] = _differs(service)
    assert row.details["file"] == {"model_dir": "/home/clerk/evil/signature",
                                   "banknote_model_dir": "/home/clerk/evil/banknote",
                                   "idle_timeout_minutes": 240}
    service.set_idle_timeout(sessions["admin"], 7)  # the idle setting alone, audited later
    assert settings_in_force(service, sessions["clerk"], edited).config.idle_timeout_minutes \
        == 7
