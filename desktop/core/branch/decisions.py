"""What a clerk's decision on a verified cheque takes: accept, refer or reject; when a reason
and a supervisor's approval are needed; the settings verdicts are reached with; the checked
cheque waiting for its decision, with the decisions already recorded on the same file (a
second presentment of the same cheque).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop.core.access import auth
from desktop.core.access.sessions import AccessControl, Session
from desktop.core.errors import N_, Message, ServiceError, word_for
from desktop.core.signature.cheque import DEFAULT_ZONE, ExtractedSignature, SignatureZone
from desktop.core.signature.verification import FORGED, GENUINE, VerificationResult
from desktop.core.store.audit import AuditEntry, entry_hash
from desktop.core.store.records import Account, ChequeDecision, Reference

ACCEPT, REFER, REJECT = "accept", "refer", "reject"
DECISION_WORDS = {ACCEPT: N_("accept"), REFER: N_("refer"), REJECT: N_("reject")}
SUGGESTED = {GENUINE: ACCEPT, FORGED: REJECT}  # "needs review" suggests REFER
MIN_REASON = 10  # characters of a reason to decide against the verdict, or to pay again
EARLIER_LIMIT = 20  # earlier decisions on one cheque file shown and audited (accepts first)


@dataclass(frozen=True)
class DecisionRule:
    """What recording ``decision`` on a ``verdict`` takes; the screen shows it beforehand."""

    is_override: bool
    needs_reason: bool
    needs_approval: bool
    paid_before: bool = False  # accepting a cheque already accepted: a second payment

    def describe(self) -> Message:
        """The rule in a sentence for the clerk."""
        if self.needs_approval:
            return Message(N_("needs a reason ({n}+ characters) and a supervisor's approval "
                              "(their name and password)"), n=MIN_REASON)
        if self.paid_before:
            return Message(N_("this cheque was already accepted: paying it again needs a "
                              "reason ({n}+ characters)"), n=MIN_REASON)
        if self.needs_reason:
            return Message(N_("goes against the verdict: needs a reason ({n}+ characters)"),
                           n=MIN_REASON)
        return Message(N_("no reason needed"))


def decision_rule(verdict: str, decision: str, accepted_before: bool = False) -> DecisionRule:
    """The rule for ``decision`` on ``verdict``: refer never needs a reason; anything else
    than the verdict's own decision is an override with a reason; accepting a forged
    verdict also needs a second person's approval. Accepting a cheque that was already
    accepted (``accepted_before``: the same file) needs a reason whatever the verdict."""
    override = decision != SUGGESTED.get(verdict, REFER)
    paid_before = decision == ACCEPT and accepted_before
    return DecisionRule(is_override=override,
                        needs_reason=(override and decision != REFER) or paid_before,
                        needs_approval=decision == ACCEPT and verdict == FORGED,
                        paid_before=paid_before)


def accepted(earlier: Sequence[ChequeDecision]) -> list[ChequeDecision]:
    """The acceptances among ``earlier`` decisions on a cheque."""
    return [e for e in earlier if e.decision == ACCEPT]


def utc_minute(ts: str) -> str:
    """A stored UTC timestamp to the minute, as "2026-01-05 09:00"."""
    return ts[:16].replace("T", " ")


def earlier_text(e: ChequeDecision) -> Message:
    """An earlier decision on the same cheque in a few words (UTC time, to the minute)."""
    return Message(N_("{decision} on {when} UTC by {user} for account {account} "
                      "(decision #{id}, file {cheque})"),
                   decision=word_for(DECISION_WORDS, e.decision), when=utc_minute(e.decided_at),
                   user=e.decided_by, account=e.account_number, id=e.decision_id,
                   cheque=e.cheque_name)


def paid_before_problem(e: ChequeDecision, meanwhile: bool = False) -> Message:
    """Why accepting a cheque already accepted (``e``) was refused: no reason given, or
    (``meanwhile``) it was accepted while the clerk was deciding."""
    if meanwhile:
        return Message(N_("this cheque was accepted while you were deciding, on {when} UTC "
                          "by {user} for account {account} (decision #{id}); check it again"),
                       when=utc_minute(e.decided_at), user=e.decided_by,
                       account=e.account_number, id=e.decision_id)
    return Message(N_("this cheque was already accepted on {when} UTC by {user} for account "
                      "{account} (decision #{id}); a reason of at least {n} characters is "
                      "needed to accept it again"), when=utc_minute(e.decided_at),
                   user=e.decided_by, account=e.account_number, id=e.decision_id, n=MIN_REASON)


def earlier_details(earlier: Sequence[ChequeDecision]) -> list[dict[str, Any]]:
    """Earlier decisions as the verify audit row records them (``earlier_decisions``)."""
    return [{"decision_id": e.decision_id, "decision": e.decision, "verdict": e.verdict,
             "decided_by": e.decided_by, "decided_at": e.decided_at,
             "account_number": e.account_number, "cheque": e.cheque_name,
             "verification_audit_id": e.verification_id}
            for e in earlier]


def earlier_from_details(details: dict[str, Any]) -> list[ChequeDecision]:
    """The earlier decisions a verify audit row recorded (none for a row written before
    they were recorded; an entry that is not one is left out)."""
    out = []
    for d in details.get("earlier_decisions") or []:
        try:
            out.append(ChequeDecision(
                int(d["decision_id"]), int(d["verification_audit_id"]),
                str(d["account_number"]), str(d["cheque"]), str(d.get("verdict", "")),
                str(d["decision"]), str(d["decided_by"]), str(d["decided_at"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out


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
    # Decisions already recorded on a cheque with the same file (SHA-256), on any account:
    # acceptances first, newest first (at most EARLIER_LIMIT). Shown as a warning; paying a
    # cheque accepted before needs a reason.
    earlier: tuple[ChequeDecision, ...] = ()

    @property
    def accepted_before(self) -> list[ChequeDecision]:
        """The earlier acceptances of this cheque (empty: never paid)."""
        return accepted(self.earlier)


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
