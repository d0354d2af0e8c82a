"""What is not a cheque gets a refusal, not a verdict; the decision rules (refer is free,
overrides need a reason, paying a forged cheque needs a supervisor)."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from desktop.core.branch.decisions import ACCEPT, REJECT
from desktop.core.errors import AuthError, ServiceError
from desktop.core.signature.cheque import ChequeRefused
from desktop.core.store.audit import AuditFilter
from tests.conftest import PASSWORDS
from tests.test_service import _cheque, _enroll, _refs


def test_things_that_are_not_cheques_are_refused_not_judged(branch, cheque_set,
                                                            tmp_path) -> None:
    """A photo, a signature crop and a cheque-shaped picture are refusals with a reason and
    an audit row of their own, never a FORGED verdict."""
    service, s = branch
    _enroll(service, s["operator"], cheque_set, "1002003000")
    rng = np.random.default_rng(12)
    photo = tmp_path / "note-photo.jpg"  # a colour photo, 640x640 like the banknote sets
    cv2.imwrite(str(photo), rng.integers(0, 255, (640, 640, 3), dtype=np.uint8))
    crop = _refs(cheque_set, "1002003000")[0]  # a signature already cut out
    textured = tmp_path / "cheque-shaped.png"  # cheque-sized, but a picture in the zone
    cv2.imwrite(str(textured), rng.integers(0, 255, (640, 1400), dtype=np.uint8))
    for path in (photo, crop, textured):
        with pytest.raises(ChequeRefused) as info:
            service.check_cheque(s["clerk"], "1002003000", path)
        assert info.value.kind == "not_a_cheque", path
        assert "does not look like a cheque" in str(info.value) and path.name in str(info.value)
    unsigned = tmp_path / "unsigned.png"
    from training.signature.cheques import make_cheque, save_cheque

    save_cheque(make_cheque(rng, None, with_signature=False, dpi=240), unsigned, "png-gray")
    with pytest.raises(ChequeRefused) as info:
        service.check_cheque(s["clerk"], "1002003000", unsigned)
    assert info.value.kind == "no_signature" and info.value.page is not None
    assert "no signature found in the signature zone" in str(info.value)
    refused = service.store.audit_entries(AuditFilter(action="verify_refused"))
    assert [e.details["cheque"] for e in reversed(refused)] == [
        photo.name, crop.name, textured.name, unsigned.name]
    assert not service.store.audit_entries(AuditFilter(action="verify"))


def test_whole_cheque_as_a_signature_crop_is_warned_about(cheque_set) -> None:
    from desktop.core.imaging.decode import load_pages
    from desktop.core.signature.cheque import whole_cheque_warning

    cheque = load_pages(_cheque(cheque_set, "1002003000", "genuine"))[0]
    assert "whole cheque" in whole_cheque_warning(cheque)
    crop = load_pages(_refs(cheque_set, "1002003000")[0])[0]
    assert whole_cheque_warning(crop) is None


def _random_forgery(service, s, cheque_set):
    """A check whose verdict is FORGED: another holder's genuine cheque."""
    _enroll(service, s["operator"], cheque_set, "1002003001")
    check = service.check_cheque(s["clerk"], "1002003001",
                                 _cheque(cheque_set, "1002003000", "genuine"))
    assert check.result.decision == "forged"
    return check


def test_decision_rules_refer_free_override_reasoned_forged_pay_needs_a_supervisor(
        branch, cheque_set) -> None:
    from desktop.core.branch.decisions import REFER, decision_rule

    assert decision_rule("genuine", REFER) == decision_rule("forged", REFER)
    assert not decision_rule("forged", REFER).needs_reason
    assert decision_rule("genuine", REJECT).needs_reason
    assert decision_rule("forged", ACCEPT).needs_approval
    assert not decision_rule("needs review", ACCEPT).needs_approval
    service, s = branch
    clerk = s["clerk"]
    admin_user = service.store.get_user("admin")
    service.create_user(s["admin"], "sam", "supervisor", "supervisor-pass-1")
    # Refer (escalating) never needs a reason, whatever the verdict.
    forged = _random_forgery(service, s, cheque_set)
    service.record_decision(clerk, forged, REFER)
    forged = service.check_cheque(clerk, "1002003001", forged.cheque_path)
    with pytest.raises(ServiceError, match="at least 10 characters"):
        service.record_decision(clerk, forged, ACCEPT, "ok")
    with pytest.raises(ServiceError, match="supervisor's approval"):
        service.record_decision(clerk, forged, ACCEPT, "holder phoned the branch")
    with pytest.raises(ServiceError, match="another person"):
        service.record_decision(clerk, forged, ACCEPT, "holder phoned the branch",
                                ("carl", PASSWORDS["carl"]))
    with pytest.raises(ServiceError, match="only a supervisor or an admin"):
        service.record_decision(clerk, forged, ACCEPT, "holder phoned the branch",
                                ("olga", PASSWORDS["olga"]))
    with pytest.raises(AuthError):
        service.record_decision(clerk, forged, ACCEPT, "holder phoned the branch",
                                ("admin", "not-the-password"))
    # A wrong approval password counts towards the approver's lock-out like a login.
    assert service.store.get_user("admin").failed_attempts == admin_user.failed_attempts + 1
    assert service.store.audit_entries(AuditFilter(action="approval_failed"))
    service.record_decision(clerk, forged, ACCEPT, "holder phoned the branch",
                            ("sam", "supervisor-pass-1"))
    override = service.store.audit_entries(AuditFilter(action="override"))[0]
    assert override.username == "carl" and override.details["approved_by"] == "sam"
    assert service.store.verify_audit().ok




def test_a_verdict_edited_in_the_store_before_the_click_carries_no_decision(
        branch, cheque_set) -> None:
    """A reviewer's attack: malware running as the clerk edits the pending verification's
    audited verdict (forged -> genuine) in the SQLite file, the clerk clicks Accept (no
    reason, no supervisor), and the malware puts the row back byte for byte."""
    import json
    import sqlite3

    service, s = branch
    forged = _random_forgery(service, s, cheque_set)
    db = sqlite3.connect(service.store.location, timeout=30)
    (original,) = db.execute("SELECT details FROM audit_log WHERE id = ?",
                             (forged.audit_id,)).fetchone()
    edited = {**json.loads(original), "verdict": "genuine"}
    db.execute("UPDATE audit_log SET details = ? WHERE id = ?",
               (json.dumps(edited), forged.audit_id))
    db.commit()
    with pytest.raises(ServiceError, match=f"audit row {forged.audit_id} does not say what "
                                           "this check shows \\(verdict\\)"):
        service.record_decision(s["clerk"], forged, ACCEPT)
    db.execute("UPDATE audit_log SET details = ? WHERE id = ?", (original, forged.audit_id))
    db.commit()
    db.close()
    assert service.store.decisions(forged.account.id) == []
    [refused] = service.store.audit_entries(AuditFilter(action="decision_refused"))
    assert refused.details["verification_audit_id"] == forged.audit_id
    service.record_decision(s["clerk"], forged, REJECT)  # the row as written: decided


def test_a_genuine_cheque_scanned_upside_down_is_refused_not_called_forged(
        branch, cheque_set, tmp_path) -> None:
    """Upside down, the zone held the payee's name: "forged, similarity 0.00". The page
    turned over matches the references, so the check is refused and the clerk rescans."""
    from desktop.core.imaging.decode import load_page

    service, s = branch
    _enroll(service, s["operator"], cheque_set, "1002003000")
    _enroll(service, s["operator"], cheque_set, "1002003001")
    for number in ("1002003000", "1002003001"):
        page = load_page(_cheque(cheque_set, number, "genuine"))
        turned = tmp_path / f"turned-{number}.png"
        cv2.imwrite(str(turned), np.ascontiguousarray(page[::-1, ::-1]))
        with pytest.raises(ChequeRefused, match="seems to be upside down") as err:
            service.check_cheque(s["clerk"], number, turned)
        assert err.value.kind == "upside_down"
        entry = service.store.audit_entry(err.value.audit_id)
        assert entry.action == "verify_refused" and entry.details["refusal"] == "upside_down"
        assert entry.details["upright_verdict"] == "forged"
        # The forged cheque, the right way up, is still judged (not refused).
        forged = service.check_cheque(s["clerk"], number, _cheque(cheque_set, number, "forged"))
        assert forged.result.decision in ("forged", "needs review")


# ---- the same cheque presented twice -----------------------------------------------------


def test_a_cheque_presented_again_shows_its_earlier_decisions_and_paying_twice_needs_a_reason(
        branch, cheque_set, tmp_path) -> None:
    """Checking the same file again (under any name, for any account) brings the decisions
    already recorded on it, acceptances first; accepting it again needs a reason."""
    import shutil

    from desktop.core.branch.decisions import REFER, decision_rule

    service, s = branch
    clerk = s["clerk"]
    _enroll(service, s["operator"], cheque_set, "1002003001")
    _enroll(service, s["operator"], cheque_set, "1002003000", "Other Holder")
    path = _cheque(cheque_set, "1002003001", "genuine")
    first = service.check_cheque(clerk, "1002003001", path)
    assert first.result.decision == "genuine"
    assert first.earlier == () and first.accepted_before == []
    assert service.store.audit_entry(first.audit_id).details["earlier_decisions"] == []
    paid = service.record_decision(clerk, first, ACCEPT)

    copy = tmp_path / "presented-again.png"  # the same bytes under another name
    shutil.copyfile(path, copy)
    second = service.check_cheque(clerk, "1002003001", copy)
    (earlier,) = second.earlier
    assert (earlier.decision_id, earlier.decision, earlier.decided_by, earlier.account_number,
            earlier.cheque_name, earlier.verification_id) == (
        paid, ACCEPT, "carl", "1002003001", path.name, first.audit_id)
    assert second.accepted_before == [earlier]
    assert service.store.audit_entry(second.audit_id).details["earlier_decisions"] == [{
        "decision_id": paid, "decision": "accept", "verdict": "genuine", "decided_by": "carl",
        "decided_at": earlier.decided_at, "account_number": "1002003001",
        "cheque": path.name, "verification_audit_id": first.audit_id}]
    rule = decision_rule("genuine", ACCEPT, accepted_before=True)
    assert rule.needs_reason and rule.paid_before and not rule.is_override
    assert "already accepted" in rule.describe()
    assert not decision_rule("genuine", REFER, accepted_before=True).needs_reason
    when = earlier.decided_at[:16].replace("T", " ")
    for reason in ("", "too short"):
        with pytest.raises(ServiceError, match=(
                rf"already accepted on {when} UTC by carl for account 1002003001 "
                rf"\(decision #{paid}\); a reason of at least 10 characters")):
            service.record_decision(clerk, second, ACCEPT, reason)
    assert len(service.store.decisions(first.account.id)) == 1  # nothing recorded
    again = service.record_decision(clerk, second, ACCEPT, "holder says the first was void")
    entry = service.store.audit_entries(AuditFilter(action="decision"))[0]
    assert entry.details["decision_id"] == again and entry.details["accepted_before"] == [paid]
    assert entry.details["reason"] == "holder says the first was void"

    # Another account: the same file's decisions are shown too; refer needs no reason.
    third = service.check_cheque(clerk, "1002003000", path)
    assert [(e.decision_id, e.account_number) for e in third.earlier] == [
        (again, "1002003001"), (paid, "1002003001")]  # newest first
    referred = service.record_decision(clerk, third, REFER)
    fourth = service.check_cheque(clerk, "1002003001", path)
    assert [(e.decision_id, e.decision) for e in fourth.earlier] == [
        (again, ACCEPT), (paid, ACCEPT), (referred, REFER)]  # acceptances first
    # Another cheque has none.
    other = service.check_cheque(clerk, "1002003001", _cheque(cheque_set, "1002003001",
                                                              "forged"))
    assert other.earlier == ()
    assert service.store.verify_audit().ok


def test_two_clerks_paying_the_same_cheque_at_once_the_later_is_refused(
        branch, cheque_set, monkeypatch) -> None:
    """Clerk A's decision looked for earlier acceptances and found none; clerk B (another
    PC) accepts the same cheque before A's is written: A's is refused under the cheque's
    lock, to check it again, rather than paid a second time without a word."""
    service, s = branch
    service.create_user(s["admin"], "dora", "clerk", "dora-clerk-pass-1")
    carl, dora = s["clerk"], service.login("dora", "dora-clerk-pass-1")
    _enroll(service, s["operator"], cheque_set, "1002003001")
    path = _cheque(cheque_set, "1002003001", "genuine")
    mine = service.check_cheque(carl, "1002003001", path)
    theirs = service.check_cheque(dora, "1002003001", path)
    assert mine.earlier == theirs.earlier == ()
    real, raced = service.store.cheque_decisions, {}

    def other_pc_accepts_meanwhile(sha256: str, limit: int = 20):
        found = real(sha256, limit)
        if not raced:  # carl's look-up before the transaction: dora pays right after it
            raced["started"] = True
            raced["id"] = service.record_decision(dora, theirs, ACCEPT)
        return found

    monkeypatch.setattr(service.store, "cheque_decisions", other_pc_accepts_meanwhile)
    with pytest.raises(ServiceError) as refused:
        service.record_decision(carl, mine, ACCEPT)
    assert re.search(r"accepted while you were deciding, on .* UTC by dora for account "
                     rf"1002003001 \(decision #{raced['id']}\); check it again",
                     str(refused.value)), refused.value
    assert [d.decided_by for d in service.store.decisions(mine.account.id)] == ["dora"]
    assert service.store.verify_audit().ok


def test_two_cheques_in_one_multi_page_file_are_two_cheques(branch, cheque_set,
                                                            tmp_path) -> None:
    """A reviewer's file: page 2 accepted for one account made page 1, another cheque, read
    as already paid (the look-up keyed on the whole file's hash)."""
    from PIL import Image

    from desktop.core.imaging.decode import load_page

    service, s = branch
    _enroll(service, s["operator"], cheque_set, "1002003000")
    _enroll(service, s["operator"], cheque_set, "1002003001")
    pages = [Image.fromarray(load_page(_cheque(cheque_set, n, "genuine")))
             for n in ("1002003000", "1002003001")]
    both = tmp_path / "two-cheques.tif"
    pages[0].save(both, save_all=True, append_images=pages[1:], compression="tiff_lzw")
    second = service.check_cheque(s["clerk"], "1002003001", both, page=1)
    service.record_decision(s["clerk"], second, ACCEPT, "paid at the counter today")
    first = service.check_cheque(s["clerk"], "1002003000", both, page=0)
    assert first.earlier == () and first.accepted_before == []
    again = service.check_cheque(s["clerk"], "1002003001", both, page=1)
    assert [e.account_number for e in again.accepted_before] == ["1002003001"]
