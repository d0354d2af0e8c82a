"""Passwords and roles: scrypt with a per-user salt, lock-out after repeated failures.

The KDF parameters are stored beside each hash (``scrypt$n$r$p``) so that they can be raised
later without invalidating existing passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from desktop.core.errors import N_, Message, word_for

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # 16 MiB of memory per hash; ~50 ms here
KEY_BYTES, SALT_BYTES = 32, 16
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_ATTEMPTS = 5
LOCKOUT_MINUTES = 15
IDLE_TIMEOUT_MINUTES = 15  # default; an admin sets it in Settings

# What each role is called where a person reads it (the stored code is what the core uses).
ROLE_WORDS = {"clerk": N_("clerk"), "supervisor": N_("supervisor"), "operator": N_("operator"),
              "admin": N_("admin")}


def role_word(role: str) -> Message | str:
    """A role as a word a window translates (the code itself when it is not known)."""
    return word_for(ROLE_WORDS, role)


# What each role may do; the service layer checks these on every call.
PERMISSIONS: dict[str, frozenset[str]] = {
    "clerk": frozenset({"search", "verify", "decide"}),
    # A clerk who may also approve paying a cheque the app called forged (four eyes).
    "supervisor": frozenset({"search", "verify", "decide", "approve_override"}),
    "operator": frozenset({"search", "create_account", "enroll", "revoke"}),
    "admin": frozenset({"search", "create_account", "enroll", "revoke", "verify", "decide",
                        "manage_users", "view_audit", "settings", "approve_override"}),
}


def kdf_label(n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """The stored description of the KDF and its parameters."""
    return f"scrypt${n}${r}${p}"


def hash_password(password: str, salt: bytes | None = None,
                  kdf: str | None = None) -> tuple[bytes, bytes, str]:
    """Hash ``password`` with scrypt; returns (hash, salt, kdf label)."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    kdf = kdf or kdf_label()
    name, n, r, p = kdf.split("$")
    if name != "scrypt":
        raise ValueError(f"unknown password KDF {name!r}")
    n, r, p = int(n), int(r), int(p)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                            maxmem=256 * r * n + (1 << 20), dklen=KEY_BYTES)
    return digest, salt, kdf


def verify_password(password: str, stored_hash: bytes, salt: bytes, kdf: str) -> bool:
    """True when ``password`` matches; compares in constant time."""
    digest, _, _ = hash_password(password, salt, kdf)
    return hmac.compare_digest(digest, stored_hash)


def password_problem(password: str, username: str) -> Message | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return Message(N_("the password must have at least {count} characters"),
                       count=MIN_PASSWORD_LENGTH)
    if password.lower() == username.lower():
        return Message(N_("the password must not be the user name"))
    return None
