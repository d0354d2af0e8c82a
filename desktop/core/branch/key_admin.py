"""Admin actions on the model-signing trust: add a trusted public key (audited).

Kept beside the service rather than in it: one function taking the service, so that the
service's own module stays as it is. The key goes to ``trusted_keys/`` in the data folder
(:func:`desktop.core.models.keys.admin_keys_dir`), which every later model load reads.
"""

from __future__ import annotations

from pathlib import Path

from desktop.core.access.sessions import Session
from desktop.core.models.keys import TrustedKey
from desktop.core.models.keys import add_trusted_key as _copy_key

AUDIT_ACTION = "trusted_key_added"


def add_trusted_key(service, session: Session, path: str | Path, label: str | None = None,
                    folder: str | Path | None = None) -> TrustedKey:
    """Admin: trust model signatures by the Ed25519 public key in ``path`` from now on.

    Needs the ``settings`` permission; the key is checked (an Ed25519 PEM public key, not a
    private key, not trusted already), copied as ``<label>.pub`` into ``folder`` (default:
    the data folder's ``trusted_keys``), and the audit log records who added which key id.
    Raises :class:`~desktop.core.errors.PermissionDenied` or
    :class:`~desktop.core.errors.ServiceError` saying why.
    """
    service.require(session, "settings")
    key = _copy_key(path, label, folder)
    verifier = getattr(service, "verifier", None)
    model_id = verifier.manifest.model_id if verifier is not None else ""
    service.store.append_audit(session.username, AUDIT_ACTION, model_id=model_id,
                               details={"key_id": key.key_id, "label": key.label,
                                        "file": Path(path).name})
    return key
