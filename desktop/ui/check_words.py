"""What the check screen says about a checked cheque, in the clerk's language: the verdict
in a sentence, and the decisions already recorded on the same cheque (a second
presentment). Translated in the "CheckScreen" context, as the screen's own texts."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop.core.branch.decisions import ACCEPT, DECISION_WORDS, ChequeCheck, utc_minute
from desktop.core.errors import word_for
from desktop.core.signature.verification import FORGED, GENUINE
from desktop.ui.wording import worded

EARLIER_SHOWN = 3  # earlier decisions listed; the rest are counted


def plain_words(check: ChequeCheck) -> str:
    """What the verdict means, in a sentence a clerk reads at a glance."""
    translate = QCoreApplication.translate
    r, refs = check.result, check.references
    n = len(refs)
    sims = r.reference_similarities or []
    best = max(range(len(sims)), key=sims.__getitem__) if sims else None
    closest = (refs[best].source_name or translate("CheckScreen", "reference {id}").format(
        id=refs[best].id)) if best is not None else "—"
    if r.decision == GENUINE:
        return translate("CheckScreen", "Matches the %n reference(s) closely: similarity {value}, "
                  "where {accept} or more counts as genuine.", "", n).format(
            value=f"{r.similarity:.2f}", accept=f"{r.accept_similarity:.2f}")
    if r.decision == FORGED:
        # (the rule judges the similarity to the references taken together; the closest
        # single one may score above the threshold and is said as such)
        return translate("CheckScreen", "Differs from the %n reference(s): similarity {value}, "
                  "below {reject}, where a signature counts as forged; the closest one ({closest}) "
                  "is {best} alike. Compare it with the references on the left before you "
                  "decide.", "", n).format(
            value=f"{r.similarity:.2f}", reject=f"{r.reject_similarity:.2f}",
            closest=closest, best=f"{sims[best]:.2f}" if best is not None else "—")
    return translate("CheckScreen", "Resembles the %n reference(s), but not closely enough to pass "
              "(similarity {value}; genuine from {accept}): compare it by eye with the "
              "references on the left.", "", n).format(
        value=f"{r.similarity:.2f}", accept=f"{r.accept_similarity:.2f}")


def earlier_words(check: ChequeCheck) -> str:
    """The decisions already recorded on this cheque file, acceptances first: "This cheque
    was already accepted on <date> by <user> for account <n>." (empty: none)."""
    translate = QCoreApplication.translate
    lines = []
    if check.accepted_before:  # first: the line that matters
        lines.append(translate("CheckScreen", "Check that it is not being presented twice: "
                        "paying it again needs a reason."))
    for e in check.earlier[:EARLIER_SHOWN]:
        when = f"{utc_minute(e.decided_at)} UTC"  # as the core's messages say it
        if e.decision == ACCEPT:
            lines.append(translate("CheckScreen", "This cheque was already accepted on {when} by "
                            "{user} for account {account}.").format(
                when=when, user=e.decided_by, account=e.account_number))
        else:
            lines.append(translate("CheckScreen", "This cheque was already decided on: "
                            "{decision} on {when} by {user} for account {account}.").format(
                decision=worded(word_for(DECISION_WORDS, e.decision)), when=when,
                user=e.decided_by, account=e.account_number))
    more = len(check.earlier) - EARLIER_SHOWN
    if more > 0:
        lines.append(translate("CheckScreen", "%n more earlier decision(s) in the audit log.", "",
                        more))
    return "\n".join(lines)
