"""The store's tables, defined once for both databases (SQLAlchemy Core, one ``MetaData``).

Portable types only: TEXT timestamps in the format of :func:`desktop.core.store.records.utc_now`
(sortable as text), BLOB/BYTEA images and embeddings, BIGINT identity keys on PostgreSQL
(SQLite's INTEGER PRIMARY KEY, the rowid, through a variant). Constraint names follow
PostgreSQL's own defaults, so a store made by the hand-written backends before Alembic
(schema versions 1-4, :mod:`desktop.core.store.legacy`) and one made here by
``create_all`` name their constraints alike and a migration can refer to them by name.

Changing a table means a new file in ``migrations/versions/`` (``alembic revision``), never
an edit of an existing one.
"""

from __future__ import annotations

import sqlalchemy as sa

from desktop.core.store.audit import GENESIS_HASH, head_digest

metadata = sa.MetaData(naming_convention={
    "pk": "%(table_name)s_pkey",
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "ix": "idx_%(table_name)s_%(column_0_name)s",
})

# Keys: BIGINT identity on PostgreSQL, the rowid (INTEGER PRIMARY KEY) on SQLite.
Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Username = sa.Text().with_variant(sa.Text(collation="NOCASE"), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", Key, sa.Identity(), primary_key=True)


def _text(name: str, default: str | None = None, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=nullable,
                     server_default=None if default is None else sa.text(f"'{default}'"))


users = sa.Table(
    "users", metadata,
    sa.Column("username", Username, primary_key=True),
    _text("role"),
    sa.Column("password_hash", sa.LargeBinary, nullable=False),
    sa.Column("salt", sa.LargeBinary, nullable=False),
    _text("kdf"),
    sa.Column("failed_attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
    _text("locked_until", nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _text("created_at"),
    sa.CheckConstraint("role IN ('clerk', 'operator', 'supervisor', 'admin')", name="role"),
)
# User names are unique whatever their case (SQLite: the NOCASE key does it).
sa.Index("users_username_nocase", sa.func.lower(users.c.username),
         unique=True).ddl_if(dialect="postgresql")

accounts = sa.Table(
    "accounts", metadata,
    _id(),
    sa.Column("account_number", sa.Text, nullable=False, unique=True),
    _text("holder_name"),
    _text("created_at"),
    _text("created_by"),
)
sa.Index("idx_accounts_name", sa.func.lower(accounts.c.holder_name))

reference_signatures = sa.Table(
    "reference_signatures", metadata,
    _id(),
    sa.Column("account_id", Key, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("image_png", sa.LargeBinary, nullable=False),
    _text("image_sha256"),
    _text("source_name", ""),
    sa.Column("embedding", sa.LargeBinary, nullable=False),
    _text("model_id"),
    _text("status", "active"),
    _text("enrollment_id"),
    _text("created_at"),
    _text("created_by"),
    _text("revoked_at", nullable=True),
    _text("revoked_by", nullable=True),
    _text("revoke_reason", nullable=True),
    sa.CheckConstraint("status IN ('active', 'revoked')", name="status"),
)
sa.Index("idx_refs_account", reference_signatures.c.account_id, reference_signatures.c.status)
sa.Index("idx_refs_model", reference_signatures.c.model_id)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", Key, primary_key=True, autoincrement=False),  # the chain numbers its rows
    _text("ts"),
    _text("username"),
    _text("action"),
    _text("account_number", ""),
    _text("model_id", ""),
    _text("details"),
    _text("prev_hash"),
    _text("hash"),
    _text("row_digests", "{}"),
)
sa.Index("idx_audit_ts", audit_log.c.ts)
sa.Index("idx_audit_account", audit_log.c.account_number)
sa.Index("idx_audit_user_action", audit_log.c.username, audit_log.c.action)

audit_head = sa.Table(
    "audit_head", metadata,
    sa.Column("one", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_id", Key, nullable=False),
    _text("last_hash"),
    sa.Column("row_count", Key, nullable=False, server_default=sa.text("0")),
    _text("head_hash", ""),
    sa.CheckConstraint("one = 1", name="one"),
)

decisions = sa.Table(
    "decisions", metadata,
    _id(),
    sa.Column("verification_id", Key, sa.ForeignKey("audit_log.id"), nullable=False,
              unique=True),
    sa.Column("account_id", Key, sa.ForeignKey("accounts.id"), nullable=False),
    _text("cheque_name"),
    _text("cheque_sha256"),
    _text("model_id"),
    _text("method"),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("similarity", sa.Double, nullable=False),
    _text("verdict"),
    _text("decision"),
    _text("override_reason", ""),
    _text("decided_by"),
    _text("decided_at"),
)
sa.Index("idx_decisions_account", decisions.c.account_id)
# Schema version 5: a cheque check looks up the decisions already recorded on the same file.
sa.Index("idx_decisions_cheque_sha256", decisions.c.cheque_sha256)

# Reference notes an operator enrolled; the class key is "<currency>-<denomination>-<side>";
# revoked rows are kept (active false).
banknote_references = sa.Table(
    "banknote_references", metadata,
    _id(),
    _text("class_key"),
    _text("series", ""),
    sa.Column("image_png", sa.LargeBinary, nullable=False),
    sa.Column("embedding", sa.LargeBinary, nullable=False),
    _text("model_id"),
    _text("source_name", ""),
    _text("enrolled_by"),
    _text("enrolled_at"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _text("revoked_by", nullable=True),
    _text("revoked_at", nullable=True),
    _text("revoke_reason", nullable=True),
    sa.CheckConstraint("length(class_key) > 0", name="class_key"),
)
sa.Index("idx_banknote_refs_active", banknote_references.c.active,
         banknote_references.c.class_key)

# Tables in the order their rows can be copied (foreign keys point backwards).
TABLES = ("users", "accounts", "reference_signatures", "audit_log", "decisions",
          "banknote_references")


def create_all(conn: sa.Connection) -> None:
    """The whole schema in an empty database, with the audit head's one row."""
    metadata.create_all(conn)
    conn.execute(sa.insert(audit_head).values(one=1, last_id=0, last_hash=GENESIS_HASH,
                                              row_count=0,
                                              head_hash=head_digest(0, 0, GENESIS_HASH)))
