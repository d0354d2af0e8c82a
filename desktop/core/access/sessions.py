"""Identity and access: sessions the service issues, login with lock-out, and users.

Every service method starts with :meth:`AccessControl.require`, which trusts only sessions
this object issued (a ``Session`` built by hand is refused whatever role it claims) and the
role recorded when it was issued.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desktop.core import paths
from desktop.core.access import auth
from desktop.core.errors import N_, AuthError, Message, PermissionDenied, ServiceError
from desktop.core.store.records import ReferenceStore, User


@dataclass(frozen=True)
class Session:
    """A logged-in user. Only sessions issued by the service's own login carry a token it
    knows; a Session built by hand is refused, whatever role it claims."""

    username: str
    role: str
    token: str = field(default="", repr=False, compare=False)

    def can(self, permission: str) -> bool:
        """Whether the role grants ``permission`` (for showing or hiding screens)."""
        return permission in auth.PERMISSIONS.get(self.role, frozenset())



MAX_ENDED_REMEMBERED = 1000
MAX_IDLE_MINUTES = 240
WRONG_LOGIN = N_("unknown user name or wrong password")
SESSION_ENDED = N_("your session has ended ({reason}): log in again")


@dataclass
class _Issued:
    """What the service remembers of a session it issued: who, which role, a fingerprint of
    the password hash it was opened with, and when it was last used."""

    username: str
    role: str
    credential: str
    last_used: datetime


def _no_user(username: str) -> Message:
    return Message(N_("there is no user named {user}"), user=repr(username))


def _unknown_role(role: str) -> Message:
    return Message(N_("unknown role {role} ({roles})"), role=repr(role),
                   roles=", ".join(auth.PERMISSIONS))


def _role_changed(role: str) -> Message:
    return Message(N_("the user's role changed to {role}"), role=auth.role_word(role))


def _credential(user: User) -> str:
    """A fingerprint of the user's stored password hash: a reset changes it."""
    return hashlib.sha256(user.password_hash + user.salt).hexdigest()


class AccessControl:
    """Login, sessions and user management over a :class:`ReferenceStore`.

    A session ends (and every later call with it is refused) when it is logged out, when it
    has been idle longer than :attr:`idle_timeout`, and when the user's row in the store no
    longer matches the session: the password was reset, the role changed, the user was
    removed or deactivated, or the user is locked out. The store is read on every call, so a
    change made on another PC ends the session here too.
    """

    def __init__(self, store: ReferenceStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self.idle_timeout = timedelta(minutes=auth.IDLE_TIMEOUT_MINUTES)
        self._sessions: dict[str, _Issued] = {}  # token -> what was issued
        self._ended: dict[str, str] = {}  # token -> why it ended (recent ones)

    def _open_session(self, user: User) -> Session:
        token = secrets.token_hex(16)
        self._sessions[token] = _Issued(user.username, user.role, _credential(user),
                                        self.clock())
        return Session(user.username, user.role, token)

    def _end_session(self, token: str, username: str, reason: str) -> None:
        if self._sessions.pop(token, None) is not None:
            self.store.append_audit(username, "session_ended", details={"reason": reason})
            self._ended[token] = reason  # so that its next call is told why
            while len(self._ended) > MAX_ENDED_REMEMBERED:
                self._ended.pop(next(iter(self._ended)))

    # ---- users and login -----------------------------------------------------------------
    def needs_first_admin(self) -> bool:
        """True on first run: no user exists yet."""
        return self.store.count_users() == 0

    def create_first_admin(self, username: str, password: str) -> Session:
        """Create the first admin; refused once any user exists."""
        with self.store.transaction():
            self.store.lock("users")  # two PCs on a new shared store: one first admin
            if self.store.count_users():
                raise PermissionDenied(Message(N_("an administrator already exists; log in "
                                                  "instead")))
            user = self._add_user(username, "admin", password)
            self.store.append_audit(user.username, "user_created",
                                    details={"role": "admin", "first_run": True})
        return self._open_session(user)

    def create_user(self, session: Session, username: str, role: str, password: str) -> None:
        """Admin: add a clerk, operator or admin."""
        self.require(session, "manage_users")
        with self.store.transaction():
            self._add_user(username, role, password)
            self.store.append_audit(session.username, "user_created",
                                    details={"user": username, "role": role})

    def reset_password(self, session: Session, username: str, password: str) -> None:
        """Admin: set a new password (also lifts a lock-out)."""
        self.require(session, "manage_users")
        problem = auth.password_problem(password, username)
        if problem:
            raise ServiceError(problem)
        if self.store.get_user(username) is None:
            raise ServiceError(_no_user(username))
        digest, salt, kdf = auth.hash_password(password)
        with self.store.transaction():
            self.store.set_password(username, digest, salt, kdf)
            self.store.append_audit(session.username, "password_reset",
                                    details={"user": username})
        # Every other session of that user ends now (on other PCs at their next call, when
        # they see the changed password hash); the admin's own stays open.
        user = self.store.get_user(username)
        for token, issued in list(self._sessions.items()):
            if issued.username.lower() != username.strip().lower():
                continue
            if token == session.token and user is not None:
                issued.credential = _credential(user)
            else:
                self._end_session(token, issued.username, "the password was reset")

    def change_role(self, session: Session, username: str, role: str) -> None:
        """Admin: give another user a new role, audited (``role_changed`` with the old and the
        new role). That user's open sessions end at once here (on other PCs at their next
        call). Refused: an unknown role or user, a removed user, the admin's own role, and
        demoting the last active admin."""
        self.require(session, "manage_users")
        if role not in auth.PERMISSIONS:
            raise ServiceError(_unknown_role(role))
        with self.store.transaction():
            self.store.lock("users")  # two admins at once: one active admin always remains
            user = self._managed_user(session, username, N_(
                "you cannot change your own role; another administrator can"))
            if not user.active:
                raise ServiceError(Message(N_("{user} was removed; restore the user first"),
                                           user=user.username))
            if user.role == role:
                raise ServiceError(Message(N_("{user} already has the role {role}"),
                                           user=user.username, role=auth.role_word(role)))
            if user.role == "admin" and role != "admin":
                self._keep_an_admin(user)
            self.store.set_role(user.username, role)
            self.store.append_audit(session.username, "role_changed", details={
                "user": user.username, "old_role": user.role, "new_role": role})
        self._end_sessions_of(user.username, _role_changed(role))

    def remove_user(self, session: Session, username: str) -> None:
        """Admin: remove (deactivate) a user, audited (``user_removed``). The row is kept, as
        decisions and audit rows name the user; the user can no longer log in, and their
        open sessions end at once here (on other PCs at their next call). Refused: an
        unknown or already removed user, the admin themself, and the last active admin."""
        self.require(session, "manage_users")
        with self.store.transaction():
            self.store.lock("users")
            user = self._managed_user(session, username, N_(
                "you cannot remove yourself; another administrator can"))
            if not user.active:
                raise ServiceError(Message(N_("{user} was already removed"),
                                           user=user.username))
            if user.role == "admin":
                self._keep_an_admin(user)
            self.store.set_active(user.username, False)
            self.store.append_audit(session.username, "user_removed",
                                    details={"user": user.username, "role": user.role})
        self._end_sessions_of(user.username, "the user was removed")

    def restore_user(self, session: Session, username: str) -> None:
        """Admin: let a removed user log in again (with the role and password they had),
        audited (``user_restored``)."""
        self.require(session, "manage_users")
        with self.store.transaction():
            self.store.lock("users")
            user = self._managed_user(session, username, N_(
                "you cannot restore yourself; another administrator can"))
            if user.active:
                raise ServiceError(Message(N_("{user} was not removed"), user=user.username))
            self.store.set_active(user.username, True)
            self.store.append_audit(session.username, "user_restored",
                                    details={"user": user.username, "role": user.role})

    def _managed_user(self, session: Session, username: str, own: str) -> User:
        """The user an admin is about to change (read inside the caller's transaction):
        :class:`ServiceError` for an unknown user, or for the admin themself (``own``: the
        marked sentence saying what they may not do)."""
        user = self.store.get_user(username.strip())
        if user is None:
            raise ServiceError(_no_user(username))
        if user.username.lower() == session.username.lower():
            raise ServiceError(Message(own))
        return user

    def _keep_an_admin(self, user: User) -> None:
        """Refuse to demote or remove ``user`` when no other active admin would remain."""
        others = [u for u in self.store.list_users() if u.active and u.role == "admin"
                  and u.username.lower() != user.username.lower()]
        if not others:
            raise ServiceError(Message(N_("{user} is the last active administrator; make "
                                          "another user an administrator first"),
                                       user=user.username))

    def _end_sessions_of(self, username: str, reason: str) -> None:
        """End every session this process issued to ``username`` now, audited with
        ``reason`` (other PCs see the changed row at their next call)."""
        for token, issued in list(self._sessions.items()):
            if issued.username.lower() == username.lower():
                self._end_session(token, issued.username, reason)

    def users(self, session: Session) -> list[User]:
        """Admin: every user (hashes included only as the store keeps them)."""
        self.require(session, "manage_users")
        return self.store.list_users()

    def _add_user(self, username: str, role: str, password: str) -> User:
        username = username.strip()
        if not username or len(username) > 64 or not _utf8(username):
            raise ServiceError(Message(N_("a user name of 1 to 64 characters is needed")))
        if not _utf8(password):
            raise ServiceError(Message(N_("the password holds bytes that are not text (set "
                                          "it from a UTF-8 terminal)")))
        # One user per name whatever its case: SQLite's unique key folds A-Z only, and the
        # audit chain keys users by their name in lower case (Émile and émile were two users
        # under one key, and the store check called an honest store broken).
        clash = next((u.username for u in self.store.list_users()
                      if u.username.casefold() == username.casefold()), None)
        if clash is not None:
            raise ServiceError(Message(N_("a user {user} already exists (user names are the "
                                          "same whatever their case)"), user=clash))
        if role not in auth.PERMISSIONS:
            raise ServiceError(_unknown_role(role))
        problem = auth.password_problem(password, username)
        if problem:
            raise ServiceError(problem)
        digest, salt, kdf = auth.hash_password(password)
        user = User(username, role, digest, salt, kdf)
        self.store.add_user(user)
        return user

    def login(self, username: str, password: str) -> Session:
        """Check the password; lock the user out after repeated failures. Every attempt is
        audited. The message does not say whether the name or the password was wrong."""
        user = self.check_credentials(username, password)
        with self.store.transaction():
            self.store.set_login_state(user.username, 0, None)
            self.store.append_audit(user.username, "login", details={"role": user.role})
        return self._open_session(user)

    def check_credentials(self, username: str, password: str, purpose: str = "login") -> User:
        """The user whose name and password these are, or :class:`AuthError`. Failures are
        audited under ``purpose`` and count towards the lock-out, whatever the purpose (a
        supervisor's approval is no way around it)."""
        now = self.clock()
        if not (_utf8(username) and _utf8(password)):
            # Bytes a terminal in another encoding handed over (Latin-1): no user has such a
            # name or password, and they cannot reach the store or the hash.
            raise AuthError(Message(WRONG_LOGIN))
        user = self.store.get_user(username.strip())
        failed_action = "login_failed" if purpose == "login" else f"{purpose}_failed"
        if user is None or not user.active:
            auth.hash_password(password)  # same work as a real check: no timing oracle
            self.store.append_audit(username, failed_action, details={"reason": "unknown user"})
            raise AuthError(Message(WRONG_LOGIN))
        if user.locked_until and now < datetime.fromisoformat(user.locked_until):
            self.store.append_audit(user.username, f"{purpose}_refused",
                                    details={"reason": "locked", "until": user.locked_until})
            until = datetime.fromisoformat(user.locked_until).astimezone()
            raise AuthError(Message(N_(
                "user {user} is locked after {attempts} failed logins until {until}; an "
                "administrator can unlock it by setting a new password"), user=user.username,
                attempts=auth.MAX_FAILED_ATTEMPTS, until=f"{until:%H:%M}"))
        if not auth.verify_password(password, user.password_hash, user.salt, user.kdf):
            locked = None
            with self.store.transaction():
                # Count under the user's lock: failures from several PCs at once all count.
                self.store.lock(f"user {user.username.lower()}")
                current = self.store.get_user(user.username) or user
                failed = current.failed_attempts + 1
                if current.locked_until and now < datetime.fromisoformat(current.locked_until):
                    # Another failure locked the user while this one was checked: the lock
                    # stands (overwriting it reopened the door to unlimited guesses).
                    locked, failed = current.locked_until, current.failed_attempts
                elif failed >= auth.MAX_FAILED_ATTEMPTS:
                    locked = (now + timedelta(minutes=auth.LOCKOUT_MINUTES)).isoformat()
                    failed = 0
                self.store.set_login_state(user.username, failed, locked)
                self.store.append_audit(user.username, failed_action,
                                        details={"attempt": failed, "locked_until": locked})
            raise AuthError(Message(N_(
                "unknown user name or wrong password; the user is now locked for {minutes} "
                "minutes"), minutes=auth.LOCKOUT_MINUTES) if locked else Message(WRONG_LOGIN))
        return user

    def unlock(self, session: Session, password: str) -> Session:
        """The idle lock screen: the same user enters the password again. Returns a fresh
        session (the idle one has ended in the core as well); another user must log in."""
        self._sessions.pop(getattr(session, "token", ""), None)
        user = self.check_credentials(session.username, password)
        with self.store.transaction():
            self.store.set_login_state(user.username, 0, None)
            self.store.append_audit(user.username, "login",
                                    details={"role": user.role, "unlock": True})
        return self._open_session(user)

    def set_idle_timeout(self, session: Session, minutes: int) -> None:
        """Admin: minutes without use after which a session ends (and the window locks);
        1 to 240, audited when it changes."""
        self.require(session, "settings")
        if not 1 <= int(minutes) <= MAX_IDLE_MINUTES:
            raise ServiceError(Message(N_("the idle timeout must be 1 to {most} minutes"),
                                       most=MAX_IDLE_MINUTES))
        timeout = timedelta(minutes=int(minutes))
        if timeout != self.idle_timeout:
            self.idle_timeout = timeout
            self.store.append_audit(session.username, "settings_changed",
                                    details={"idle_timeout_minutes": int(minutes),
                                             "pc": paths.this_pc()})

    def keep_alive(self, session: Session) -> None:
        """The user is at the window (a key or a click without a service call yet): the
        session is not idle. An expired session stays expired."""
        issued = self._sessions.get(getattr(session, "token", ""))
        now = self.clock()
        if issued is not None and now - issued.last_used <= self.idle_timeout:
            issued.last_used = now

    def session_problem(self, session: Session) -> Message | None:
        """Why ``session`` can no longer be used (it is then ended and audited), or None.
        Touches nothing when the session is fine."""
        token = getattr(session, "token", "")
        issued = self._sessions.get(token)
        if issued is None or (issued.username, issued.role) != (session.username,
                                                                 session.role):
            if issued is None and token in self._ended:
                return Message(SESSION_ENDED, reason=self._ended[token])
            return Message(N_("not logged in (or the session has ended): log in again"))
        now = self.clock()
        reason = None
        if now - issued.last_used > self.idle_timeout:
            minutes = self.idle_timeout.total_seconds() / 60
            reason = Message(N_("idle for more than {minutes} minutes"), minutes=f"{minutes:g}")
        else:
            user = self.store.get_user(issued.username)
            if user is None or not user.active:
                reason = Message(N_("the user was removed"))
            elif user.role != issued.role:
                reason = _role_changed(user.role)
            elif _credential(user) != issued.credential:
                reason = Message(N_("the password was reset"))
            elif user.locked_until and now < datetime.fromisoformat(user.locked_until):
                reason = Message(N_("the user is locked out"))
        if reason is not None:
            self._end_session(token, issued.username, reason)
            return Message(SESSION_ENDED, reason=reason)
        return None

    def logout(self, session: Session) -> None:
        """End a session: its token stops working."""
        if self._sessions.pop(getattr(session, "token", ""), None) is not None:
            self.store.append_audit(session.username, "logout")

    def require(self, session: Session, permission: str) -> None:
        """Refuse unless ``session`` was issued here, is still valid (see
        :meth:`session_problem`) and its role grants ``permission``; a call that passes counts
        as activity for the idle timeout."""
        problem = self.session_problem(session)
        if problem is not None:
            raise PermissionDenied(problem)
        issued = self._sessions[session.token]
        if permission not in auth.PERMISSIONS.get(issued.role, frozenset()):
            raise PermissionDenied(Message(N_("a {role} may not {action}"),
                                           role=auth.role_word(issued.role),
                                           action=permission.replace("_", " ")))
        issued.last_used = self.clock()


def _utf8(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (no lone surrogates from undecodable bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
