"""The users' queries (logins, roles, lock-out counters), mixed into
:class:`desktop.core.store.sql_store.SqlStore`. User names are unique whatever their case,
on both databases, and are looked up so."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from desktop.core.errors import N_, Message
from desktop.core.store import schema as t
from desktop.core.store.dialects import bytewise
from desktop.core.store.prepared import Prepared
from desktop.core.store.records import ROLES, StoreError, User, utc_now
from desktop.core.store.rows import user_from_row

_GET_USER = Prepared(sa.select(t.users).where(
    sa.func.lower(t.users.c.username) == sa.func.lower(sa.bindparam("name"))))


def _user_is(username: str) -> sa.ColumnElement[bool]:
    return sa.func.lower(t.users.c.username) == sa.func.lower(username)


class UserQueries:
    """The user methods of :class:`desktop.core.store.records.ReferenceStore`."""

    def count_users(self) -> int:
        return int(self._scalar(sa.select(sa.func.count()).select_from(t.users)))

    def add_user(self, user: User) -> None:
        if user.role not in ROLES:
            raise StoreError(f"unknown role {user.role!r}")
        with self.transaction():
            # ON CONFLICT keeps the surrounding transaction usable (no aborted state).
            rows = self._all(self.dialect.insert(t.users).values(
                username=user.username, role=user.role, password_hash=user.password_hash,
                salt=user.salt, kdf=user.kdf, created_at=utc_now(),
            ).on_conflict_do_nothing().returning(*t.users.c))
            if not rows:
                raise StoreError(Message(N_("a user named {user} already exists"),
                                         user=repr(user.username)))
            self._written("users", rows)

    def get_user(self, username: str) -> User | None:
        row = self._one(_GET_USER, {"name": username})
        return user_from_row(row) if row else None

    def list_users(self) -> list[User]:
        rows = self._all(sa.select(t.users).order_by(bytewise(sa.func.lower(t.users.c.username))))
        return [user_from_row(r) for r in rows]

    def _update_user(self, username: str, **values: Any) -> list[sa.RowMapping]:
        return self._all(t.users.update().where(_user_is(username)).values(**values)
                         .returning(*t.users.c))

    def set_login_state(self, username: str, failed_attempts: int,
                        locked_until: str | None) -> None:
        with self.transaction():
            self._update_user(username, failed_attempts=failed_attempts,
                              locked_until=locked_until)

    def set_password(self, username: str, password_hash: bytes, salt: bytes, kdf: str) -> None:
        with self.transaction():
            self._written("users", self._update_user(
                username, password_hash=password_hash, salt=salt, kdf=kdf, failed_attempts=0,
                locked_until=None))

    def set_role(self, username: str, role: str) -> None:
        """Give ``username`` another role; :class:`StoreError` naming an unknown user or
        role."""
        if role not in ROLES:
            raise StoreError(f"unknown role {role!r}")
        with self.transaction():
            rows = self._update_user(username, role=role)
            if not rows:
                raise StoreError(Message(N_("there is no user named {user}"),
                                         user=repr(username)))
            self._written("users", rows)

    def set_active(self, username: str, active: bool) -> None:
        """Deactivate or reactivate ``username`` (the row is kept); :class:`StoreError`
        naming an unknown user."""
        with self.transaction():
            rows = self._update_user(username, active=bool(active))
            if not rows:
                raise StoreError(Message(N_("there is no user named {user}"),
                                         user=repr(username)))
            self._written("users", rows)
