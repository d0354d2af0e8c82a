"""Sessions end on idle, password reset, lock-out, role change and removal; admins change
roles, remove and restore users."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from desktop.core.errors import AuthError, PermissionDenied, ServiceError
from desktop.core.store.audit import AuditFilter
from tests.conftest import PASSWORDS
from tests.test_service import _actions


def _clocked(service):
    """Make the service's clock a hand the test moves."""
    now = [datetime.now(timezone.utc)]
    service.clock = lambda: now[0]
    return now


def test_sessions_end_on_idle_reset_lockout_role_change_and_removal(branch) -> None:
    service, s = branch
    now = _clocked(service)
    clerk = service.login("carl", PASSWORDS["carl"])
    service.search_accounts(clerk, "1")
    # Idle past the timeout: refused, audited, and the same user unlocks with the password.
    now[0] += service.idle_timeout + timedelta(seconds=1)
    with pytest.raises(PermissionDenied, match="idle"):
        service.search_accounts(clerk, "1")
    with pytest.raises(AuthError):
        service.unlock(clerk, "wrong-password-1")
    clerk = service.unlock(clerk, PASSWORDS["carl"])
    service.search_accounts(clerk, "1")
    admin = service.login("admin", PASSWORDS["admin"])  # the fixture's went idle too
    # An admin resets the clerk's password: the clerk's open session ends at once.
    service.reset_password(admin, "carl", "new-clerk-pass-1")
    with pytest.raises(PermissionDenied, match="password was reset"):
        service.search_accounts(clerk, "1")
    # ...and on another PC (another service on the same store) at its next call.
    from desktop.core.branch.service import BranchService

    other_pc = BranchService(service.store, service.verifier, clock=service.clock)
    remote = other_pc.login("carl", "new-clerk-pass-1")
    service.reset_password(admin, "carl", "newer-clerk-pass-1")
    with pytest.raises(PermissionDenied, match="password was reset"):
        other_pc.search_accounts(remote, "1")
    # Locked out after failed logins: the open session ends too.
    clerk = service.login("carl", "newer-clerk-pass-1")
    for _ in range(5):
        with pytest.raises(AuthError):
            service.login("carl", "guessing-password")
    with pytest.raises(PermissionDenied, match="locked"):
        service.search_accounts(clerk, "1")
    # A role changed or a user removed in the store (by any means) ends the session.
    operator = service.login("olga", PASSWORDS["olga"])
    conn = service.store._conn
    conn.execute("UPDATE users SET role = 'clerk' WHERE username = 'olga'")
    with pytest.raises(PermissionDenied, match="role changed"):
        service.search_accounts(operator, "1")
    conn.execute("UPDATE users SET role = 'operator' WHERE username = 'olga'")
    operator = service.login("olga", PASSWORDS["olga"])
    conn.execute("UPDATE users SET active = 0 WHERE username = 'olga'")
    with pytest.raises(PermissionDenied, match="removed"):
        service.search_accounts(operator, "1")
    reasons = [e.details["reason"] for e in
               service.store.audit_entries(AuditFilter(action="session_ended"))]
    assert {"the password was reset", "the user is locked out", "the user was removed",
            "the user's role changed to clerk"} <= set(reasons)
    assert any(r.startswith("idle for more than") for r in reasons)


# ---- role changes and removals ------------------------------------------------------------
def test_changing_a_role_ends_the_users_session_and_audits_old_and_new(branch) -> None:
    service, s = branch
    operator = s["operator"]
    from desktop.core.branch.service import BranchService

    other_pc = BranchService(service.store, service.verifier, clock=service.clock)
    remote = other_pc.login("olga", PASSWORDS["olga"])
    service.change_role(s["admin"], "olga", "clerk")
    with pytest.raises(PermissionDenied, match="role changed to clerk"):
        service.search_accounts(operator, "1")
    with pytest.raises(PermissionDenied, match="role changed to clerk"):
        other_pc.search_accounts(remote, "1")  # another PC: at its next call
    changed = service.store.audit_entries(AuditFilter(action="role_changed"))
    assert len(changed) == 1 and changed[0].username == "admin"
    assert changed[0].details == {"user": "olga", "old_role": "operator", "new_role": "clerk"}
    reasons = [(e.username, e.details["reason"]) for e in
               service.store.audit_entries(AuditFilter(action="session_ended"))]
    assert reasons.count(("olga", "the user's role changed to clerk")) == 2
    again = service.login("olga", PASSWORDS["olga"])
    assert again.role == "clerk" and service.search_accounts(again, "1") == []
    assert service.search_accounts(s["admin"], "1") == []  # the admin's session stays
    for name, role, message in (("olga", "boss", "unknown role 'boss'"),
                                ("nobody", "clerk", "no user named 'nobody'"),
                                ("olga", "clerk", "already has the role clerk")):
        with pytest.raises(ServiceError, match=message):
            service.change_role(s["admin"], name, role)
    assert len(service.store.audit_entries(AuditFilter(action="role_changed"))) == 1


def test_a_removed_user_is_logged_out_cannot_log_in_and_can_be_restored(branch) -> None:
    service, s = branch
    clerk = s["clerk"]
    service.remove_user(s["admin"], "carl")
    with pytest.raises(PermissionDenied, match="the user was removed"):
        service.search_accounts(clerk, "1")
    with pytest.raises(AuthError, match="unknown user name or wrong password"):
        service.login("carl", PASSWORDS["carl"])
    user = service.store.get_user("carl")  # the row is kept, only deactivated
    assert user is not None and not user.active and user.role == "clerk"
    assert "carl" in [u.username for u in service.users(s["admin"])]
    removed = service.store.audit_entries(AuditFilter(action="user_removed"))
    assert [(e.username, e.details) for e in removed] == [
        ("admin", {"user": "carl", "role": "clerk"})]
    ended = service.store.audit_entries(AuditFilter(action="session_ended"))
    assert [(e.username, e.details["reason"]) for e in ended] == [
        ("carl", "the user was removed")]
    with pytest.raises(ServiceError, match="already removed"):
        service.remove_user(s["admin"], "carl")
    with pytest.raises(ServiceError, match="restore the user first"):
        service.change_role(s["admin"], "carl", "operator")
    with pytest.raises(ServiceError, match="no user named 'nobody'"):
        service.remove_user(s["admin"], "nobody")
    service.restore_user(s["admin"], "carl")
    assert service.login("carl", PASSWORDS["carl"]).role == "clerk"
    restored = service.store.audit_entries(AuditFilter(action="user_restored"))
    assert [e.details for e in restored] == [{"user": "carl", "role": "clerk"}]
    with pytest.raises(ServiceError, match="was not removed"):
        service.restore_user(s["admin"], "carl")


def test_an_admin_cannot_remove_or_demote_themself_or_the_last_admin(branch,
                                                                      monkeypatch) -> None:
    service, s = branch
    admin = s["admin"]
    with pytest.raises(ServiceError, match="cannot remove yourself"):
        service.remove_user(admin, "ADMIN")
    with pytest.raises(ServiceError, match="cannot change your own role"):
        service.change_role(admin, "admin", "clerk")
    assert service.store.get_user("admin").active and \
        service.store.get_user("admin").role == "admin"
    # Two admins on two PCs remove each other at the same moment: the store is read again
    # under the users lock, so one of them is refused and one active admin remains.
    service.create_user(admin, "root", "admin", "root-pass-1234")
    from desktop.core.branch.service import BranchService
    from desktop.core.store.backends import SQLiteStore

    other_store = SQLiteStore(service.store.path)
    other_pc = BranchService(other_store, None, clock=service.clock)
    root = other_pc.login("root", "root-pass-1234")
    checked = service.require

    def root_removes_admin_meanwhile(session, permission):
        checked(session, permission)  # the admin's session was still fine...
        if permission == "manage_users":
            other_pc.remove_user(root, "admin")  # ...when root removed the admin

    monkeypatch.setattr(service, "require", root_removes_admin_meanwhile)
    with pytest.raises(ServiceError, match="root is the last active administrator"):
        service.remove_user(admin, "root")
    monkeypatch.undo()
    assert service.store.get_user("root").active and not service.store.get_user("admin").active
    with pytest.raises(PermissionDenied, match="the user was removed"):
        service.users(admin)
    # ...and the remaining admin may not demote themself either.
    with pytest.raises(ServiceError, match="cannot change your own role"):
        other_pc.change_role(root, "root", "operator")
    other_store.close()


def test_a_clerk_or_operator_cannot_change_roles_or_remove_users(branch) -> None:
    service, s = branch
    with pytest.raises(PermissionDenied, match="clerk may not manage users"):
        service.change_role(s["clerk"], "carl", "admin")
    with pytest.raises(PermissionDenied, match="operator may not manage users"):
        service.remove_user(s["operator"], "admin")
    with pytest.raises(PermissionDenied, match="clerk may not manage users"):
        service.restore_user(s["clerk"], "olga")
    assert service.store.get_user("carl").role == "clerk"
    assert service.store.get_user("admin").active
    assert not {"role_changed", "user_removed", "user_restored"} & set(_actions(service))


def test_store_check_is_clean_after_role_changes_and_removals(branch, capsys) -> None:
    from desktop.store_cli import main
    from tests.store_backends import raw_sql

    service, s = branch
    service.change_role(s["admin"], "olga", "clerk")
    service.remove_user(s["admin"], "carl")
    service.restore_user(s["admin"], "carl")
    service.remove_user(s["admin"], "olga")
    location = str(service.store.path)
    for action in ("role_changed", "user_removed", "user_restored"):
        for entry in service.store.audit_entries(AuditFilter(action=action)):
            assert set(entry.row_digests) == {f"user:{entry.details['user']}"}
    assert service.store.verify_audit().ok
    assert main(["check", location]) == 0
    out = capsys.readouterr().out
    assert "integrity: ok" in out and "audit chain: ok" in out
    # Undoing the removal behind the app's back is found, at the row that removed her.
    removal = service.store.audit_entries(AuditFilter(action="user_removed"))[0]
    assert removal.details["user"] == "olga"
    raw_sql(service.store, "UPDATE users SET active = 1 WHERE username = 'olga'")
    assert main(["check", location]) == 1
    assert f"user olga was changed after audit row {removal.id}" in capsys.readouterr().out


def test_wrong_passwords_at_the_same_moment_cannot_undo_the_lock_out(branch,
                                                                     monkeypatch) -> None:
    # Every attempt is past the "is the user locked?" check before the first one fails (held
    # at a barrier inside the password check): the attempts that fail after the lock was set
    # must leave it set (they wrote "not locked" over it, so guessing was unlimited).
    import threading

    from desktop.core.access import auth

    service, _ = branch
    n = auth.MAX_FAILED_ATTEMPTS + 4
    barrier, real = threading.Barrier(n), auth.verify_password

    def together(*args):
        barrier.wait()
        return real(*args)

    monkeypatch.setattr(auth, "verify_password", together)
    failures: list[str] = []

    def attempt(i: int) -> None:
        try:
            service.login("carl", f"wrong-guess-{i:04d}")
        except AuthError as exc:
            failures.append(str(exc))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.undo()
    assert len(failures) == n
    assert service.store.get_user("carl").locked_until is not None
    with pytest.raises(AuthError, match="locked"):
        service.login("carl", PASSWORDS["carl"])


def test_a_supervisor_cannot_approve_their_own_payment_under_another_spelling(
        branch, monkeypatch) -> None:
    # The store may fold case where Python does not (PostgreSQL's lower() and a capital
    # dotted I): the same-person rule is applied to the user the credentials belong to.
    from types import SimpleNamespace

    from desktop.core.branch.decisions import approve

    service, s = branch
    admin = s["admin"]
    real = service.check_credentials
    monkeypatch.setattr(service, "check_credentials",
                        lambda name, password, purpose="login": real("admin", password, purpose))
    entry = SimpleNamespace(model_id="m", id=1)
    with pytest.raises(ServiceError, match="another person"):
        approve(service, admin, ("adm\u0130n", PASSWORDS["admin"]), "forged", "1", entry)


def test_user_names_are_one_whatever_their_case_and_odd_bytes_are_a_wrong_login(
        branch) -> None:
    # SQLite's unique key folds A-Z only: Émile beside émile were two users under one audit
    # key, and the store check then called an honest store broken.
    service, s = branch
    admin = s["admin"]
    service.create_user(admin, "émile", "clerk", "a-long-passphrase-1")
    with pytest.raises(ServiceError, match="a user émile already exists"):
        service.create_user(admin, "Émile", "clerk", "a-long-passphrase-2")
    assert service.store.verify_audit().ok
    # A name or password from a terminal in another encoding (lone surrogates) is a wrong
    # login, not a crash in the hash or the store.
    for name, password in (("carl", "caf\udce9-pass-12"), ("caf\udce9", "whatever-pass-1")):
        with pytest.raises(AuthError, match="wrong password"):
            service.login(name, password)
    with pytest.raises(ServiceError, match="bytes that are not text"):
        service.create_user(admin, "zoe", "clerk", "caf\udce9-pass-12")
