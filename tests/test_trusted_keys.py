"""Which signing keys the app trusts: only keys no account but the PC's administrator can add.

The attack these tests keep out: anyone who can write the app's data folder (the clerk's own
OS account) drops a ``.pub`` there, signs a doctored model with its private half and points the
settings at that model. Keys are trusted from a machine-wide folder only while an
administrator alone can change it; keys in the data folder are named and refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop.core.errors import ModelError, ServiceError
from desktop.core.models import keys
from desktop.core.models.admin_folder import admin_only_problem, writable_here
from desktop.core.models.keys import TrustedKey, add_trusted_key, default_trust
from desktop.core.models.signing import sign_model
from desktop.core.signature.manifest import load_manifest
from desktop.ui.wording import signer_short

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="owner and mode checks are POSIX")


def _me_as_admin() -> frozenset[int]:
    """Root and this account as administrators: a test folder that is otherwise admin-only
    passes (this account owns it; /tmp above it belongs to root)."""
    return frozenset({0, os.geteuid()})


@pytest.fixture()
def machine(tmp_path: Path, monkeypatch) -> Path:
    """The machine-wide key folder, here a private folder owned by this account (counted as
    an administrator); the data folder beside it."""
    folder = tmp_path / "etc" / "sigdesk" / "trusted_keys"
    folder.mkdir(parents=True)
    for path in (folder, *list(folder.parents)[:3]):
        path.chmod(0o755)
    monkeypatch.setattr(keys, "machine_keys_dir", lambda: folder)
    monkeypatch.setattr("desktop.core.models.admin_folder.ADMIN_UIDS", _me_as_admin())
    monkeypatch.setenv("SIGDESK_HOME", str(tmp_path / "home"))
    return folder


# ---- the folder check ------------------------------------------------------------------------
def test_an_admin_only_folder_passes_and_each_loosening_is_named(machine: Path,
                                                                other_key) -> None:
    add_trusted_key(other_key[1], "bank")
    key = machine / "bank.pub"
    assert oct(key.stat().st_mode & 0o777) == "0o644"
    assert admin_only_problem(machine) is None
    machine.chmod(0o777)
    assert "other accounts can change" in admin_only_problem(machine)
    machine.chmod(0o755)
    key.chmod(0o666)
    assert f"other accounts can change {key} (mode 666)" == admin_only_problem(machine)
    key.chmod(0o644)
    machine.parent.chmod(0o775)  # a parent folder counts too
    assert str(machine.parent) in admin_only_problem(machine)
    machine.parent.chmod(0o755)
    other = frozenset({os.geteuid() + 4242})  # this account is no administrator
    assert "not to an administrator" in admin_only_problem(machine, other)
    link = machine / "link.pub"
    link.symlink_to(key)
    assert "not a plain file" in admin_only_problem(machine)


def test_trying_to_write_finds_a_folder_this_account_can_change(tmp_path: Path) -> None:
    """The check used on Windows, where modes say nothing about access-control lists."""
    (tmp_path / "k").mkdir()
    assert "can add files to" in writable_here(tmp_path / "k")
    assert list((tmp_path / "k").iterdir()) == []  # the probe is removed


# ---- what is trusted -------------------------------------------------------------------------
def test_a_model_signed_by_the_administrators_key_loads(machine: Path, sig_copy: Path,
                                                        other_key) -> None:
    sign_model(sig_copy, other_key[0])
    with pytest.raises(ModelError, match="sigdesk-keys add"):
        load_manifest(sig_copy)
    added = add_trusted_key(other_key[1], "branch-bank")
    m = load_manifest(sig_copy)
    assert m.signer is not None and m.signer.key_id == added.key_id and not m.signer.demo
    assert m.signer.origin == keys.ADDED_BY_ADMIN
    assert signer_short(m.signer) == "signed: branch-bank"
    with pytest.raises(ServiceError, match="trusted already"):
        add_trusted_key(other_key[1], "again")


def test_a_key_dropped_into_the_data_folder_is_refused_naming_it(machine: Path,
                                                                 sig_copy: Path, other_key,
                                                                 tmp_path: Path) -> None:
    """The reviewer's attack: a .pub in the data folder and a model signed with its pair."""
    dropped = tmp_path / "home" / "trusted_keys"
    dropped.mkdir(parents=True)
    (dropped / "evil.pub").write_bytes(other_key[1].read_bytes())
    sign_model(sig_copy, other_key[0])
    with pytest.raises(ModelError) as err:
        load_manifest(sig_copy)
    text = str(err.value)
    assert str(dropped) in text and "no longer trusted" in text and str(machine) in text
    kid = TrustedKey.from_file(other_key[1]).key_id
    assert default_trust().get(kid) is None and default_trust().why_not(kid) is not None


def test_the_demo_key_vouches_only_for_the_shipped_models(sig_copy: Path, note_copy: Path,
                                                         shipped_model: Path,
                                                         monkeypatch) -> None:
    """The reviewer's attack: a copy of the shipped model with every threshold loosened,
    re-signed with the public DEMO key (its private half is in the repository), and
    settings.json pointed at the copy."""
    from desktop.core.banknote.manifest import load_banknote_manifest

    monkeypatch.setattr(keys, "_process_demo_anywhere", False)  # as in the app
    assert load_manifest(shipped_model).signer.demo
    demo_key = keys.load_private_key(ROOT / "training" / "demo_signing_key" / "demo.key")
    sign_model(sig_copy, demo_key)
    for load, folder in ((load_manifest, sig_copy), (load_banknote_manifest, note_copy)):
        with pytest.raises(ModelError, match="accepted only on the models shipped in") as err:
            load(folder)
        assert str(folder) in str(err.value)


def test_keys_in_a_folder_others_can_change_are_refused(machine: Path, sig_copy: Path,
                                                        other_key) -> None:
    add_trusted_key(other_key[1], "bank")
    sign_model(sig_copy, other_key[0])
    machine.chmod(0o777)
    with pytest.raises(ModelError, match="but keys there are not trusted: other accounts"):
        load_manifest(sig_copy)
    machine.chmod(0o755)
    assert load_manifest(sig_copy).signer.label == "bank"


def test_adding_a_private_key_junk_or_a_bad_label_is_refused(other_key, tmp_path: Path
                                                             ) -> None:
    with pytest.raises(ServiceError, match="PRIVATE key"):
        add_trusted_key(other_key[0], "oops", folder=tmp_path / "trusted")
    junk = tmp_path / "junk.pub"
    junk.write_text("hello")
    with pytest.raises(ServiceError, match="not a PEM public key"):
        add_trusted_key(junk, "junk", folder=tmp_path / "trusted")
    with pytest.raises(ServiceError, match="cannot be a key label"):
        add_trusted_key(other_key[1], "../evil", folder=tmp_path / "trusted")
    assert not (tmp_path / "trusted").exists()


def test_folders_made_for_a_key_are_admin_only_whatever_the_umask(other_key,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "etc" / "sigdesk" / "trusted_keys"
    old = os.umask(0o002)  # a group-writable umask would make the folder untrusted
    try:
        add_trusted_key(other_key[1], "bank", folder=folder)
    finally:
        os.umask(old)
    for path in (folder, folder.parent, folder.parent.parent):
        assert oct(path.stat().st_mode & 0o777) == "0o755"
    assert oct((folder / "bank.pub").stat().st_mode & 0o777) == "0o644"


def test_the_keys_command_adds_and_lists(machine: Path, other_key, tmp_path: Path,
                                         capsys) -> None:
    from desktop.keys_cli import main

    assert main(["add", str(other_key[1]), "--label", "bank-2026"]) == 0
    assert (machine / "bank-2026.pub").is_file()
    assert main(["add", str(other_key[0])]) == 2
    assert "PRIVATE key" in capsys.readouterr().err
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "bank-2026" in out and "DEMO" in out and "NOT trusted" not in out
    (tmp_path / "home" / "trusted_keys").mkdir(parents=True)
    (tmp_path / "home" / "trusted_keys" / "old.pub").write_bytes(other_key[1].read_bytes())
    assert main(["list"]) == 1
    assert "NOT trusted" in capsys.readouterr().out


# ---- the audit log ---------------------------------------------------------------------------
def test_a_key_the_administrator_added_is_audited_once_per_pc(machine: Path, branch,
                                                             other_key) -> None:
    from desktop.core.branch.key_admin import FOUND_ACTION, record_found_keys

    service, sessions = branch
    assert record_found_keys(service, sessions["admin"]) == []
    key = add_trusted_key(other_key[1], "branch-bank")
    assert [k.key_id for k in record_found_keys(service, sessions["clerk"])] == [key.key_id]
    assert record_found_keys(service, sessions["admin"]) == []  # recorded already
    rows = [e for e in service.store.audit_entries() if e.action == FOUND_ACTION]
    assert len(rows) == 1 and rows[0].username == "carl"
    assert rows[0].details["key_id"] == key.key_id and rows[0].details["pc"]
    assert service.store.verify_audit().ok


@pytest.fixture()
def gui_service(tmp_path: Path):
    """A store with one admin and a service whose model the window loads itself."""
    from desktop.core.branch.service import BranchService
    from desktop.core.store.backends import SQLiteStore

    service = BranchService(SQLiteStore(tmp_path / "gui.sqlite"), None)
    yield service, service.create_first_admin("admin", "admin-pass-123")
    service.store.close()


def test_the_window_labels_the_signer_and_settings_show_where_keys_come_from(
        qtbot, gui_service, machine: Path, tmp_path: Path, shipped_model: Path,
        other_key) -> None:
    from desktop.core.branch.config import AppConfig
    from desktop.ui.branch_window import BranchWindow

    add_trusted_key(other_key[1], "branch-bank")
    dropped = tmp_path / "home" / "trusted_keys"
    dropped.mkdir(parents=True)
    (dropped / "old.pub").write_bytes(other_key[1].read_bytes())
    service, admin = gui_service
    win = BranchWindow(service, admin, AppConfig(model_dir=str(shipped_model), provider="cpu"))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.model_ready, timeout=30000):
        win.show()
    assert "DEMO-signed (not for production)" in win.status_provider.text()
    text = win.settings_screen.signer_info.text()
    assert "signed by DEMO key" in text and "branch-bank" in text and str(machine) in text
    kid = TrustedKey.from_file(other_key[1]).key_id
    assert f"NOT TRUSTED: keys {kid} in {dropped}: keys in the app's data folder" in text
    found = [e for e in service.store.audit_entries() if e.action == "trusted_key_found"]
    assert [json.dumps(e.details) for e in found] and found[0].username == "admin"
