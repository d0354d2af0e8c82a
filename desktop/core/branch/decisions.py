"""What a clerk's decision on a verified cheque takes: accept, refer or reject; when a reason
and a supervisor's approval are needed; the settings verdicts are reached with; the checked
cheque waiting for its decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from desktop.core.access import auth
from desktop.core.access.sessions import AccessControl, Session
from desktop.core.errors import N_, Message, ServiceError
from desktop.core.signature.cheque import DEFAULT_ZONE, ExtractedSignature, SignatureZone
from desktop.core.signature.verification import FORGED, GENUINE, VerificationResult
from desktop.core.store.audit import AuditEntry, entry_hash
from desktop.core.store.records import Account, Reference

ACCEPT, REFER, REJECT = "accept", "refer", "reject"
DECISION_WORDS = {ACCEPT: N_("accept"), REFER: N_("refer"), REJECT: N_("reject")}
SUGGESTED = {GENUINE: ACCEPT, FORGED: REJECT}  # "needs review" suggests REFER
MIN_REASON = 10  # characters of a reason to decide against the verdict


@dataclass(frozen=True)
class DecisionRule:
    """What recording ``decision`` on a ``verdict`` takes; the screen shows it beforehand."""

    is_override: bool
    needs_reason: bool
    needs_approval: bool

    def describe(self) -> Message:
        """The rule in a sentence for the clerk."""
        if self.needs_approval:
            return Message(N_("needs a reason ({n}+ characters) and a supervisor's approval "
                              "(their name and password)"), n=MIN_REASON)
        if self.needs_reason:
            return Message(N_("goes against the verdict: needs a reason ({n}+ characters)"),
                           n=MIN_REASON)
        return Message(N_("no reason needed"))


def decision_rule(verdict: str, decision: str) -> DecisionRule:
    """The rule for ``decision`` on ``verdict``: refer never needs a reason; anything else
    than the verdict's own decision is an override with a reason; accepting a forged
    verdict also needs a second person's approval."""
    override = decision != SUGGESTED.get(verdict, REFER)
    return DecisionRule(is_override=override, needs_reason=override and decision != REFER,
                        needs_approval=decision == ACCEPT and verdict == FORGED)


@dataclass(frozen=True)
class DecisionSettings:
    """How verdicts are reached: method, security level (target FAR) and signature zone."""

    method: str = "distance"
    target_far: float | None = 0.02
    zone: SignatureZone = DEFAULT_ZONE


@dataclass(frozen=True)
class ChequeCheck:
    """One verified cheque, ready for the clerk's decision."""

    account: Account
    cheque_path: str
    cheque_sha256: str
    extraction: ExtractedSignature
    query_inkmap: np.ndarray
    references: list[Reference]
    result: VerificationResult
    audit_id: int
    settings: DecisionSettings = field(default_factory=DecisionSettings)
    pen_growth_px: int = 0  # the query's strokes grown to the references' pen (contract v4)


def approve(access: AccessControl, session: Session, approver: tuple[str, str] | None,
            verdict: str, account_number: str, entry: AuditEntry) -> str:
    """The approver's user name for accepting a cheque the app called ``verdict`` (forged):
    ``approver`` is a supervisor's or an admin's ``(user name, password)``, checked like a
    login (failures count towards their lock-out); ``entry`` is the audited verification.
    Raises :class:`ServiceError` when it is missing, is the clerk, or may not approve (that
    refusal is audited)."""
    if approver is None:
        raise ServiceError(Message(N_("accepting a cheque the app called forged needs a "
                                      "supervisor's approval: their name and password")))
    name, password = approver
    if name.strip().lower() == session.username.lower():
        raise ServiceError(Message(N_("the approval must come from another person")))
    user = access.check_credentials(name, password, purpose="approval")
    # Again on the user found: the store's case folding may match a name Python's did not
    # (a capital dotted I on PostgreSQL), and the clerk must never approve their own payment.
    if user.username.casefold() == session.username.casefold():
        raise ServiceError(Message(N_("the approval must come from another person")))
    if "approve_override" not in auth.PERMISSIONS.get(user.role, frozenset()):
        access.store.append_audit(user.username, "approval_refused", account_number,
                                  entry.model_id,
                                  {"reason": f"a {user.role} may not approve",
                                   "verification_audit_id": entry.id})
        raise ServiceError(Message(N_("{user} is a {role}: only a supervisor or an admin may "
                                      "approve paying a cheque called forged"),
                                   user=user.username, role=auth.role_word(user.role)))
    return user.username


def changed_since_checked(entry: AuditEntry, check: ChequeCheck) -> Message | None:
    """Why the audited verification ``entry`` no longer says what ``check`` found (its row
    edited in the store since: a different verdict, score or cheque, or a chain hash that its
    own content no longer gives), or None. A decision is recorded against the audit row, so
    a row edited between the check and the clerk's click must not carry the decision."""
    details = entry.details
    found = {"verdict": check.result.decision, "sha256": check.cheque_sha256,
             "similarity": round(check.result.similarity, 6),
             "score": round(check.result.distance, 6)}
    differs = sorted(k for k, v in found.items() if details.get(k) != v)
    if not differs and entry_hash(entry.prev_hash, entry.id, entry.ts, entry.username,
                                  entry.action, entry.account_number, entry.model_id,
                                  details, entry.row_digests) == entry.hash:
        return None
    return Message(N_("audit row {row} does not say what this check shows ({fields}): the "
                      "store or the check was changed after the verification. Nothing was "
                      "decided; an administrator should verify the audit chain"),
                   row=entry.id, fields=", ".join(differs) or "its chain hash")
