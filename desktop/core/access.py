"""Identity and access: sessions the service issues, login with lock-out, and users.

Every service method starts with :meth:`AccessControl._require`, which trusts only sessions
this object issued (a ``Session`` built by hand is refused whatever role it claims) and the
role recorded when it was issued.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from desktop.core import auth
from desktop.core.errors import AuthError, PermissionDenied, ServiceError
from desktop.core.store import ReferenceStore, User


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



class AccessControl:
    """Login, sessions and user management over a :class:`ReferenceStore`."""

    def __init__(self, store: ReferenceStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self._sessions: dict[str, tuple[str, str]] = {}  # token -> (username, role)

    def _open_session(self, username: str, role: str) -> Session:
        token = secrets.token_hex(16)
        self._sessions[token] = (username, role)
        return Session(username, role, token)

    # ---- users and login -----------------------------------------------------------------
    def needs_first_admin(self) -> bool:
        """True on first run: no user exists yet."""
        return self.store.count_users() == 0

    def create_first_admin(self, username: str, password: str) -> Session:
        """Create the first admin; refused once any user exists."""
        with self.store.transaction():
            self.store.lock("users")  # two PCs on a new shared store: one first admin
            if self.store.count_users():
                raise PermissionDenied("an administrator already exists; log in instead")
            self._add_user(username, "admin", password)
            self.store.append_audit(username, "user_created", details={"role": "admin",
                                                                        "first_run": True})
        return self._open_session(username, "admin")

    def create_user(self, session: Session, username: str, role: str, password: str) -> None:
        """Admin: add a clerk, operator or admin."""
        self._require(session, "manage_users")
        with self.store.transaction():
            self._add_user(username, role, password)
            self.store.append_audit(session.username, "user_created",
                                    details={"user": username, "role": role})

    def reset_password(self, session: Session, username: str, password: str) -> None:
        """Admin: set a new password (also lifts a lock-out)."""
        self._require(session, "manage_users")
        problem = auth.password_problem(password, username)
        if problem:
            raise ServiceError(problem)
        if self.store.get_user(username) is None:
            raise ServiceError(f"there is no user named {username!r}")
        digest, salt, kdf = auth.hash_password(password)
        with self.store.transaction():
            self.store.set_password(username, digest, salt, kdf)
            self.store.append_audit(session.username, "password_reset",
                                    details={"user": username})

    def users(self, session: Session) -> list[User]:
        """Admin: every user (hashes included only as the store keeps them)."""
        self._require(session, "manage_users")
        return self.store.list_users()

    def _add_user(self, username: str, role: str, password: str) -> None:
        username = username.strip()
        if not username or len(username) > 64:
            raise ServiceError("a user name of 1 to 64 characters is needed")
        if role not in auth.PERMISSIONS:
            raise ServiceError(f"unknown role {role!r} (clerk, operator or admin)")
        problem = auth.password_problem(password, username)
        if problem:
            raise ServiceError(problem)
        digest, salt, kdf = auth.hash_password(password)
        self.store.add_user(User(username, role, digest, salt, kdf))

    def login(self, username: str, password: str) -> Session:
        """Check the password; lock the user out after repeated failures. Every attempt is
        audited. The message does not say whether the name or the password was wrong."""
        now = self.clock()
        user = self.store.get_user(username.strip())
        if user is None or not user.active:
            auth.hash_password(password)  # same work as a real check: no timing oracle
            self.store.append_audit(username, "login_failed", details={"reason": "unknown user"})
            raise AuthError("unknown user name or wrong password")
        if user.locked_until and now < datetime.fromisoformat(user.locked_until):
            self.store.append_audit(user.username, "login_refused",
                                    details={"reason": "locked", "until": user.locked_until})
            until = datetime.fromisoformat(user.locked_until).astimezone()
            raise AuthError(f"user {user.username} is locked after {auth.MAX_FAILED_ATTEMPTS} "
                            f"failed logins until {until:%H:%M}; an administrator can unlock it "
                            "by setting a new password")
        if not auth.verify_password(password, user.password_hash, user.salt, user.kdf):
            locked = None
            with self.store.transaction():
                # Count under the user's lock: failures from several PCs at once all count.
                self.store.lock(f"user {user.username.lower()}")
                failed = (self.store.get_user(user.username) or user).failed_attempts + 1
                if failed >= auth.MAX_FAILED_ATTEMPTS:
                    locked = (now + timedelta(minutes=auth.LOCKOUT_MINUTES)).isoformat()
                    failed = 0
                self.store.set_login_state(user.username, failed, locked)
                self.store.append_audit(user.username, "login_failed",
                                        details={"attempt": failed, "locked_until": locked})
            raise AuthError("unknown user name or wrong password"
                            + (f"; the user is now locked for {auth.LOCKOUT_MINUTES} minutes"
                               if locked else ""))
        with self.store.transaction():
            self.store.set_login_state(user.username, 0, None)
            self.store.append_audit(user.username, "login", details={"role": user.role})
        return self._open_session(user.username, user.role)

    def logout(self, session: Session) -> None:
        """End a session: its token stops working."""
        if self._sessions.pop(session.token, None) is not None:
            self.store.append_audit(session.username, "logout")

    def _require(self, session: Session, permission: str) -> None:
        """Refuse unless ``session`` was issued here and its role grants ``permission``."""
        issued = self._sessions.get(getattr(session, "token", ""))
        if issued is None or issued != (session.username, session.role):
            raise PermissionDenied("not logged in (or the session has ended): log in again")
        if permission not in auth.PERMISSIONS.get(issued[1], frozenset()):
            raise PermissionDenied(f"a {issued[1]} may not {permission.replace('_', ' ')}")
