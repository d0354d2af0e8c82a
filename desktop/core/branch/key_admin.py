"""The model-signing keys this PC's administrator added, in the audit log.

Keys are added outside the app, by the PC's administrator, to a machine-wide folder only an
administrator can change (:func:`desktop.core.models.keys.machine_keys_dir`; ``sigdesk-keys
add``). The first time the app runs with such a key trusted, on this PC, the audit log
records it (who was logged in, the key id, the PC), so that a key added behind the bank's
back shows in the log at the next login rather than only in the key folder.
"""

from __future__ import annotations

from desktop.core import paths
from desktop.core.access.sessions import Session
from desktop.core.models.keys import ADDED_BY_ADMIN, TrustedKey, TrustStore, default_trust
from desktop.core.store.audit import AuditFilter

FOUND_ACTION = "trusted_key_found"
# Written by versions that added keys from Settings into the data folder (no longer trusted).
OLD_ADDED_ACTION = "trusted_key_added"


def record_found_keys(service, session: Session, trust: TrustStore | None = None
                      ) -> list[TrustedKey]:
    """Audit every administrator's key trusted on this PC that the log has not recorded for
    this PC yet (by ``session``'s user); returns the keys recorded now."""
    trust = default_trust() if trust is None else trust
    added = [k for k in trust.keys if k.origin == ADDED_BY_ADMIN]
    if not added:
        return []
    pc = paths.this_pc()
    seen = {(e.details.get("key_id"), e.details.get("pc"))
            for e in service.store.audit_entries(AuditFilter(action=FOUND_ACTION))}
    new = [k for k in added if (k.key_id, pc) not in seen]
    for key in new:
        service.store.append_audit(session.username, FOUND_ACTION, details={
            "key_id": key.key_id, "label": key.label, "pc": pc})
    return new
