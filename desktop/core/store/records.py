"""The reference store's interface and records: account holders, reference signatures,
decisions, users and the audit log.

:class:`ReferenceStore` is the one interface the service layer uses;
:class:`desktop.core.store.sql_store.SqlStore` implements it once on SQLAlchemy Core:
:class:`desktop.core.store.backends.SQLiteStore` is the embedded default (one file, WAL
journal, every write in a transaction), :class:`desktop.core.store.backends.PostgresStore`
keeps the same records in a shared PostgreSQL database for several branches;
:func:`desktop.core.store.factory.open_store` picks
the backend from the location (a file path or a ``postgresql://`` URL). The audit chain's
rules are in :mod:`desktop.core.store.audit`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from desktop.core.errors import VerificationError
from desktop.core.store.audit import AuditCheck, AuditEntry, AuditFilter

ROLES = ("clerk", "operator", "supervisor", "admin")  # supervisor: schema version 4


class StoreError(VerificationError):
    """The store cannot be opened or used; the message names the file and the problem."""


def utc_now() -> str:
    """Current time as an ISO-8601 UTC string with microseconds (sortable as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class User:
    """A login of the app and its credentials (the hash, never the password)."""

    username: str
    role: str
    password_hash: bytes
    salt: bytes
    kdf: str
    failed_attempts: int = 0
    locked_until: str | None = None
    active: bool = True


@dataclass(frozen=True)
class Account:
    """An account holder whose signature is enrolled."""

    id: int
    account_number: str
    holder_name: str
    created_at: str
    created_by: str


@dataclass(frozen=True)
class NewReference:
    """A reference signature about to be stored: the cleaned grayscale image as PNG bytes
    (the input of the preprocessing contract, so a new model can re-embed it) and its
    embedding under ``model_id``."""

    image_png: bytes
    embedding: np.ndarray
    model_id: str
    source_name: str = ""


@dataclass(frozen=True)
class Reference:
    """A stored reference signature."""

    id: int
    account_id: int
    image_png: bytes
    image_sha256: str
    source_name: str
    embedding: np.ndarray
    model_id: str
    status: str
    enrollment_id: str
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None


@dataclass(frozen=True)
class Decision:
    """A clerk's recorded decision on one verified cheque (one decision per verification)."""

    verification_id: int  # the audit row of the verification decided on
    account_id: int
    cheque_name: str
    cheque_sha256: str
    model_id: str
    method: str
    score: float
    similarity: float
    verdict: str
    decision: str
    override_reason: str
    decided_by: str
    decided_at: str = field(default_factory=utc_now)


@dataclass(frozen=True)
class ChequeDecision:
    """A decision recorded on a cheque, found by the cheque file's SHA-256 (the same scan
    presented again, under any name and for any account): who decided what, when, and on
    which account."""

    decision_id: int
    verification_id: int  # the audit row of the verification decided on
    account_number: str
    cheque_name: str
    verdict: str
    decision: str
    decided_by: str
    decided_at: str  # UTC, as utc_now() writes it


@dataclass(frozen=True)
class NewBanknoteReference:
    """A reference banknote about to be stored: its class key (``"CYR-200-front"``), series
    label (may be empty), the rectified upright note as PNG bytes (so a new model can
    re-embed it) and its embedding under ``model_id``."""

    key: str
    series: str
    image_png: bytes
    embedding: np.ndarray
    model_id: str
    source_name: str = ""


@dataclass(frozen=True)
class BanknoteReference:
    """A stored reference banknote enrolled by an operator; revoked ones are kept."""

    id: int
    key: str
    series: str
    image_png: bytes
    embedding: np.ndarray
    model_id: str
    source_name: str
    enrolled_by: str
    enrolled_at: str
    active: bool = True
    revoked_by: str | None = None
    revoked_at: str | None = None
    revoke_reason: str | None = None


def embedding_to_bytes(embedding: np.ndarray) -> bytes:
    """Serialise an embedding as little-endian float32."""
    return np.asarray(embedding, dtype="<f4").ravel().tobytes()


def embedding_from_bytes(data: bytes) -> np.ndarray:
    """Inverse of :func:`embedding_to_bytes`."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


class ReferenceStore(abc.ABC):
    """What the service layer needs from a store. Every public method is atomic; several
    calls inside ``with store.transaction():`` commit together or not at all."""

    location: str

    @abc.abstractmethod
    def transaction(self): ...  # context manager

    @abc.abstractmethod
    def close(self) -> None: ...

    # users
    @abc.abstractmethod
    def count_users(self) -> int: ...
    @abc.abstractmethod
    def add_user(self, user: User) -> None: ...
    @abc.abstractmethod
    def get_user(self, username: str) -> User | None: ...
    @abc.abstractmethod
    def list_users(self) -> list[User]: ...
    @abc.abstractmethod
    def set_login_state(self, username: str, failed_attempts: int,
                        locked_until: str | None) -> None: ...
    @abc.abstractmethod
    def set_password(self, username: str, password_hash: bytes, salt: bytes, kdf: str) -> None: ...
    @abc.abstractmethod
    def set_role(self, username: str, role: str) -> None:
        """Give ``username`` another role (its row digest queued for the transaction's audit
        row); :class:`StoreError` naming an unknown user or role."""
    @abc.abstractmethod
    def set_active(self, username: str, active: bool) -> None:
        """Deactivate (remove) or reactivate a user; the row is kept. Its row digest is
        queued for the transaction's audit row; :class:`StoreError` naming an unknown user."""

    # accounts
    @abc.abstractmethod
    def create_account(self, account_number: str, holder_name: str, by: str) -> Account: ...
    @abc.abstractmethod
    def get_account(self, account_number: str) -> Account | None:
        """The account stored with exactly this number, or None."""
    @abc.abstractmethod
    def find_accounts(self, account_number: str) -> list[Account]:
        """The accounts whose number equals ``account_number`` once both are folded by
        :func:`desktop.core.store.account_text.account_key` (spaces, dashes, format
        characters, full-width digits, case), oldest first; several only in a store written
        before numbers were stored canonical."""
    @abc.abstractmethod
    def search_accounts(self, text: str, limit: int = 50) -> list[Account]:
        """At most ``limit`` accounts whose holder's name contains ``text`` (case-folded, NFC)
        or whose number contains it (both folded as :meth:`find_accounts` does), by name."""

    # references
    @abc.abstractmethod
    def add_references(self, account_id: int, refs: Sequence[NewReference], by: str,
                       enrollment_id: str) -> list[Reference]: ...
    @abc.abstractmethod
    def references(self, account_id: int, include_revoked: bool = False) -> list[Reference]: ...
    @abc.abstractmethod
    def revoke_reference(self, ref_id: int, by: str, reason: str) -> Reference: ...
    @abc.abstractmethod
    def update_embeddings(self, updates: Sequence[tuple[int, np.ndarray, str]]) -> None: ...
    @abc.abstractmethod
    def stale_reference_count(self, model_id: str) -> int: ...

    # banknote references
    @abc.abstractmethod
    def add_banknote_references(self, refs: Sequence[NewBanknoteReference],
                                by: str) -> list[BanknoteReference]:
        """Store reference notes, all or none; returns them as stored (ids in order)."""

    @abc.abstractmethod
    def banknote_references(self, include_revoked: bool = False) -> list[BanknoteReference]:
        """The enrolled reference notes (active ones only unless ``include_revoked``), by id."""

    @abc.abstractmethod
    def revoke_banknote_reference(self, ref_id: int, by: str,
                                  reason: str) -> BanknoteReference:
        """Withdraw an active reference note (kept, no longer used); :class:`StoreError`
        when it does not exist, is already revoked, or no reason is given."""

    @abc.abstractmethod
    def update_banknote_embeddings(self, updates: Sequence[tuple[int, np.ndarray, str]]
                                   ) -> None:
        """Replace embeddings ``(id, embedding, model_id)`` after a model change, all or
        none (:class:`StoreError` naming an unknown id)."""

    # decisions
    @abc.abstractmethod
    def add_decision(self, decision: Decision) -> int: ...
    @abc.abstractmethod
    def decisions(self, account_id: int) -> list[Decision]: ...
    @abc.abstractmethod
    def cheque_decisions(self, cheque_sha256: str, limit: int = 20) -> list[ChequeDecision]:
        """Decisions recorded on cheques whose file has this SHA-256, on any account: the
        acceptances first, then the others, newest first in each; at most ``limit``."""

    # audit
    @abc.abstractmethod
    def append_audit(self, username: str, action: str, account_number: str = "",
                     model_id: str = "", details: dict[str, Any] | None = None) -> AuditEntry: ...
    @abc.abstractmethod
    def audit_entry(self, entry_id: int) -> AuditEntry | None: ...
    @abc.abstractmethod
    def audit_entries(self, flt: AuditFilter | None = None) -> list[AuditEntry]: ...
    @abc.abstractmethod
    def verify_audit(self) -> AuditCheck: ...
    @abc.abstractmethod
    def integrity_check(self) -> str: ...

    def lock(self, name: str) -> None:
        """Inside ``transaction()``: keep every other process that takes the lock ``name``
        waiting until this transaction ends (a check-then-write such as "at most 10
        references per account" stays true with several clerk PCs). A backend whose
        transactions already exclude each other's writes (SQLite's ``BEGIN IMMEDIATE``) has
        nothing to do."""
        return None


POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres_url(location: str | Path) -> bool:
    """True for a ``postgresql://`` or ``postgres://`` URL (the PostgreSQL backend)."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in \
        POSTGRES_SCHEMES and "://" in location


def redact_url(url: str) -> str:
    """``url`` without its password (user info or ``password=`` parameter), for messages,
    the status bar and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hosts = netloc.rsplit("@", 1)
        netloc = userinfo.split(":", 1)[0] + "@" + hosts
    query = "&".join(item for item in parts.query.split("&")
                     if item and item.split("=", 1)[0].lower() != "password")
    return (f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")
            + (f"#{parts.fragment}" if parts.fragment else ""))


def url_has_password(url: str) -> bool:
    """Whether a PostgreSQL URL carries a password (which belongs in PGPASSFILE instead)."""
    parts = urlsplit(url)
    return parts.password is not None or any(
        item.split("=", 1)[0].lower() == "password" for item in parts.query.split("&"))
