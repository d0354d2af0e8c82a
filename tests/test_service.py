"""The branch service: roles, login, enrollment checks, cheque checks, decisions, bad inputs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from desktop.core.access.sessions import Session
from desktop.core.branch.decisions import ACCEPT, REJECT, SUGGESTED
from desktop.core.errors import AuthError, InputImageError, PermissionDenied, ServiceError
from desktop.core.signature.cheque import ChequeRefused
from desktop.core.signature.enrollment import (
    DUPLICATE_CORRELATION,
    DUPLICATE_DISTANCE,
    REJECTED,
    WARNING,
    Candidate,
    blurred_correlation,
)
from desktop.core.store.audit import AuditFilter
from desktop.core.store.records import StoreError
from tests.conftest import PASSWORDS
from tests.helpers import png_header_only, read_csv


def _refs(cheque_set: Path, account: str) -> list[Path]:
    return sorted((cheque_set / "references" / account).glob("*.png"))


def _cheque(cheque_set: Path, account: str, kind: str) -> Path:
    row = next(r for r in read_csv(cheque_set / "truth.csv")
               if r["account_number"] == account and r["kind"] == kind)
    return cheque_set / "cheques" / row["file"]


def _enroll(service, operator: Session, cheque_set: Path, account: str, name: str = "Holder"):
    service.create_account(operator, account, name)
    cands = service.load_candidates(operator, _refs(cheque_set, account))
    cands = service.assess_candidates(operator, cands, account)
    return service.enroll(operator, account, cands)


def _actions(service) -> list[str]:
    return [e.action for e in reversed(service.store.audit_entries())]


def test_first_admin_only_once(branch) -> None:
    service, _ = branch
    assert not service.needs_first_admin()
    with pytest.raises(PermissionDenied, match="already exists"):
        service.create_first_admin("mallory", "another-pass-1")


def test_clerk_is_refused_enrollment_and_revocation_by_the_core(branch, cheque_set) -> None:
    service, s = branch
    refs = _enroll(service, s["operator"], cheque_set, "1002003000")
    clerk = s["clerk"]
    with pytest.raises(PermissionDenied, match="clerk may not enroll"):
        service.enroll(clerk, "1002003000", [Candidate("x.png", np.full((50, 50), 255,
                                                                        np.uint8))])
    with pytest.raises(PermissionDenied, match="clerk may not revoke"):
        service.revoke_reference(clerk, "1002003000", refs[0].id, "because")
    with pytest.raises(PermissionDenied):
        service.create_account(clerk, "999", "Somebody")
    with pytest.raises(PermissionDenied):
        service.load_candidates(clerk, _refs(cheque_set, "1002003000"))
    with pytest.raises(PermissionDenied):
        service.audit_entries(clerk)
    with pytest.raises(PermissionDenied):
        service.create_user(clerk, "eve", "admin", "long-enough-pass")
    # A session built by hand claiming to be an admin is not one the service issued.
    with pytest.raises(PermissionDenied, match="not logged in"):
        service.revoke_reference(Session("carl", "admin"), "1002003000", refs[0].id, "x")
    assert len(service.references(clerk, "1002003000")) == 5  # nothing changed
    # An operator may enroll but not check cheques (segregation of duties).
    with pytest.raises(PermissionDenied, match="operator may not verify"):
        service.check_cheque(s["operator"], "1002003000",
                             _cheque(cheque_set, "1002003000", "genuine"))
    service.logout(clerk)
    with pytest.raises(PermissionDenied, match="not logged in"):
        service.search_accounts(clerk, "")


def test_lockout_after_repeated_failures(branch) -> None:
    service, _ = branch
    now = [datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)]
    service.clock = lambda: now[0]
    for _ in range(5):
        with pytest.raises(AuthError, match="wrong password"):
            service.login("carl", "not-the-password")
    with pytest.raises(AuthError, match="locked"):
        service.login("carl", PASSWORDS["carl"])  # right password, still locked
    now[0] += timedelta(minutes=16)
    assert service.login("carl", PASSWORDS["carl"]).role == "clerk"
    actions = _actions(service)
    assert actions.count("login_failed") == 5 and "login_refused" in actions
    with pytest.raises(AuthError):
        service.login("nobody", "whatever-it-is")
    assert service.store.verify_audit().ok


def test_password_rules(branch) -> None:
    service, s = branch
    with pytest.raises(ServiceError, match="at least 10"):
        service.create_user(s["admin"], "dora", "clerk", "short")
    with pytest.raises(ServiceError, match="unknown role"):
        service.create_user(s["admin"], "dora", "manager", "long-enough-pass")
    user = service.store.get_user("carl")
    assert PASSWORDS["carl"].encode() not in user.password_hash and len(user.salt) == 16
    assert user.kdf.startswith("scrypt$")


def test_enrollment_quality_checks(branch, cheque_set, tmp_path) -> None:
    service, s = branch
    op = s["operator"]
    service.create_account(op, "555", "Quality Check")
    refs = _refs(cheque_set, "1002003000")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 400), 245, np.uint8))
    tiny = tmp_path / "tiny.png"
    small = np.full((200, 400), 250, np.uint8)
    cv2.line(small, (100, 100), (140, 110), 30, 2)
    cv2.line(small, (110, 95), (125, 112), 30, 2)
    cv2.imwrite(str(tiny), small)
    noisy = tmp_path / "noisy.png"
    img = cv2.imread(str(refs[2]), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 30, img.shape)
    cv2.imwrite(str(noisy), np.clip(img + noise, 0, 255).astype(np.uint8))
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    static = tmp_path / "static.png"  # no paper at all: would widen the references' spread
    cv2.imwrite(str(static), np.random.default_rng(5).integers(0, 256, (200, 300), np.uint8))
    paths = [refs[0], refs[1], refs[0], blank, tiny, noisy, text, static]
    cands = service.assess_candidates(op, service.load_candidates(op, paths), "555")
    by = {c.name: c for c in cands}
    assert [c.status for c in cands[:2]] != [REJECTED, REJECTED]
    dup = cands[2]
    assert dup.status == REJECTED and "near-duplicate" in dup.problems[0]
    assert by["blank.png"].status == REJECTED and "blank" in by["blank.png"].problems[0]
    assert by["tiny.png"].status == REJECTED and "too small" in by["tiny.png"].problems[0]
    assert by["noisy.png"].status == WARNING and "noisy" in by["noisy.png"].problems[0]
    assert by["notes.png"].status == REJECTED and "not an image" in by["notes.png"].problems[0]
    assert by["static.png"].status == REJECTED
    assert "not a signature on paper" in by["static.png"].problems[0]
    with pytest.raises(ServiceError, match="rejected"):
        service.enroll(op, "555", cands)
    with pytest.raises(ServiceError, match="3 to 10"):
        service.enroll(op, "555", cands[:2])
    assert service.references(op, "555") == []
    good = service.assess_candidates(op, service.load_candidates(op, refs[:4]), "555")
    stored = service.enroll(op, "555", good)
    assert len(stored) == 4 and {r.model_id for r in stored} == {service.model_id}
    entry = service.store.audit_entries(AuditFilter(action="enroll"))[0]
    assert entry.details["references"] == [r.id for r in stored]
    # The same signature again is a near-duplicate of an enrolled reference.
    again = service.assess_candidates(op, service.load_candidates(op, refs[:1]), "555")
    assert again[0].status == REJECTED and "enrolled reference" in again[0].problems[0]


def _rescan(src: Path, dst: Path, seed: int = 0) -> Path:
    """The same paper scanned again: turned 1 degree, 3% larger, a little scanner noise."""
    im = Image.open(src).convert("L")
    im = im.rotate(1.0, expand=True, fillcolor=255, resample=Image.BICUBIC)
    im = im.resize((int(im.width * 1.03), int(im.height * 1.03)), Image.BICUBIC)
    noise = np.random.default_rng(seed).normal(0, 4, (im.height, im.width))
    Image.fromarray(np.clip(np.asarray(im, np.float32) + noise, 0, 255).astype(np.uint8)
                    ).save(dst)
    return dst


def test_a_rescan_of_an_enrolled_reference_is_a_near_duplicate(branch, cheque_set,
                                                               tmp_path) -> None:
    """A re-scan is found by its ink maps' correlation, its embedding being further than
    DUPLICATE_DISTANCE: caught against the stored references as within one session."""
    service, s = branch
    op = s["operator"]
    account = "1002003001"
    refs = _refs(cheque_set, account)
    rescans = [_rescan(r, tmp_path / f"rescan_{r.name}", seed=i)
               for i, r in enumerate(refs[:2])]
    service.create_account(op, account, "Rescanned Holder")
    same = service.assess_candidates(op, service.load_candidates(op, [*refs, *rescans]),
                                     account)
    assert [c.status for c in same[-2:]] == [REJECTED, REJECTED]  # within one session
    # Not caught by the embedding alone: the image test is what finds them.
    for rescan, original in zip(same[-2:], same[:2], strict=True):
        assert np.linalg.norm(rescan.embedding - original.embedding) >= DUPLICATE_DISTANCE
        assert blurred_correlation(rescan.inkmap, original.inkmap) > DUPLICATE_CORRELATION
    service.enroll(op, account, service.assess_candidates(
        op, service.load_candidates(op, refs), account))
    later = service.assess_candidates(op, service.load_candidates(op, rescans), account)
    assert [c.status for c in later] == [REJECTED, REJECTED]
    assert [str(c.problems[0]) for c in later] == [
        f"near-duplicate of the enrolled reference {r.name}" for r in refs[:2]]
    # A revoked original no longer counts: its re-scan may replace it.
    stored = service.references(op, account)
    service.revoke_reference(op, account, stored[0].id, "scanned again, better")
    again = service.assess_candidates(op, service.load_candidates(op, rescans[:1]), account)
    assert again[0].usable, again[0].problems


def test_signature_card_is_split_into_candidates(branch, tmp_path) -> None:
    from training.signature.cheques import make_signature_card
    from training.signature.synthetic import make_writer

    service, s = branch
    rng = np.random.default_rng(4)
    card, boxes = make_signature_card(rng, make_writer(rng), n=4)
    path = tmp_path / "card.png"
    cv2.imwrite(str(path), card)
    cands = service.load_candidates(s["operator"], [path], card=True)
    assert [c.name for c in cands] == [f"card.png #{i}" for i in range(1, 5)]


def test_cheque_check_decisions_and_overrides_are_audited(branch, cheque_set) -> None:
    service, s = branch
    account = "1002003001"
    _enroll(service, s["operator"], cheque_set, account)
    clerk = s["clerk"]
    genuine = service.check_cheque(clerk, account, _cheque(cheque_set, account, "genuine"))
    forged = service.check_cheque(clerk, account, _cheque(cheque_set, account, "forged"))
    assert genuine.result.similarity > forged.result.similarity
    assert genuine.extraction.signature.ndim == 2 and len(genuine.references) == 5
    assert len(genuine.result.reference_similarities) == 5
    # Deciding with the verdict needs no reason; against it, a reason is required.
    with_verdict = SUGGESTED.get(genuine.result.decision, "refer")
    service.record_decision(clerk, genuine, with_verdict)
    against = ACCEPT if forged.result.decision != "genuine" else REJECT
    with pytest.raises(ServiceError, match="reason"):
        service.record_decision(clerk, forged, against)
    # Paying a cheque called forged also takes a second person (here the admin).
    approver = ("admin", PASSWORDS["admin"]) if forged.result.decision == "forged" else None
    service.record_decision(clerk, forged, against, "holder confirmed by phone", approver)
    with pytest.raises(StoreError, match="already recorded"):
        service.record_decision(clerk, forged, against, "second thoughts", approver)
    # A check object edited to claim another verdict does not change what is recorded.
    again = service.check_cheque(clerk, account, _cheque(cheque_set, account, "forged"))
    doctored = replace(again, result=replace(again.result, decision="genuine"))
    if again.result.decision != "genuine":
        with pytest.raises(ServiceError, match="does not say what this check shows"):
            service.record_decision(clerk, doctored, ACCEPT)
    with pytest.raises(ServiceError, match="not one of yours"):
        service.record_decision(s["admin"], again, REJECT, "not my check")
    actions = _actions(service)
    assert actions.count("verify") == 3 and "decision" in actions and "override" in actions
    override = service.store.audit_entries(AuditFilter(action="override"))[0]
    assert override.details["reason"] == "holder confirmed by phone"
    assert override.username == "carl" and override.account_number == account
    verify = service.store.audit_entries(AuditFilter(action="verify"))[-1]
    assert verify.details["verdict"] == genuine.result.decision
    assert verify.model_id == service.model_id
    assert [d.decision for d in service.store.decisions(genuine.account.id)] == [with_verdict,
                                                                                 against]
    assert service.store.verify_audit().ok


def _bad_inputs(tmp_path: Path, cheque_set: Path) -> dict[str, Path]:
    from training.signature.cheques import make_cheque, save_cheque

    rng = np.random.default_rng(2)
    files = {}
    good = _cheque(cheque_set, "1002003000", "genuine")
    tif = tmp_path / "cut.tif"
    save_cheque(make_cheque(rng, None, with_signature=False, dpi=200), tif, "tiff-g4")
    tif.write_bytes(tif.read_bytes()[: tif.stat().st_size // 3])
    files["truncated TIFF"] = tif
    (tmp_path / "empty.png").write_bytes(b"")
    files["zero-byte file"] = tmp_path / "empty.png"
    (tmp_path / "letter.png").write_text("Dear customer, ...")
    files["text named .png"] = tmp_path / "letter.png"
    (tmp_path / "huge.png").write_bytes(png_header_only(30000, 30000))
    files["30000x30000 image"] = tmp_path / "huge.png"
    blank = tmp_path / "blank.png"
    save_cheque(make_cheque(rng, None, blank=True, dpi=200), blank, "png-gray")
    files["blank cheque"] = blank
    unsigned = tmp_path / "unsigned.jpg"
    save_cheque(make_cheque(rng, None, with_signature=False, dpi=220), unsigned, "jpeg-colour")
    files["no ink in the signature zone"] = unsigned
    assert good.is_file()
    return files


def test_a_cheque_signed_with_a_finer_pen_is_matched_to_the_references(branch, cheque_set,
                                                                       tmp_path) -> None:
    """The shipped contract matches pens: a cheque whose ink is thinner than the enrolled
    references' is thickened before it is compared, and the check and its audit entry say
    by how much. The same cheque against references written with its own pen (or a finer
    one) is compared as scanned."""
    service, s = branch
    account, heavy = "1002003001", "1002003099"
    _enroll(service, s["operator"], cheque_set, account)
    # The same holder's references as if signed with a much broader pen (ink grown ~6 px).
    broad = []
    for ref in _refs(cheque_set, account):
        gray = np.asarray(Image.open(ref).convert("L"))
        broad.append(tmp_path / ref.name)
        cv2.imwrite(str(broad[-1]), cv2.erode(gray, np.ones((7, 7), np.uint8)))
    service.create_account(s["operator"], heavy, "Holder, broad pen")
    cands = service.assess_candidates(s["operator"],
                                      service.load_candidates(s["operator"], broad), heavy)
    assert len(service.enroll(s["operator"], heavy, cands)) == 5
    assert service.model.manifest.preprocessing.match_pen
    cheque = _cheque(cheque_set, account, "genuine")
    checks = [service.check_cheque(s["clerk"], a, cheque) for a in (account, heavy)]
    assert checks[0].pen_growth_px == 0 < checks[1].pen_growth_px <= 3
    entries = service.store.audit_entries(AuditFilter(action="verify"))
    grown = {e.account_number: e.details["pen_growth_px"] for e in entries}
    assert grown == {account: 0, heavy: checks[1].pen_growth_px}


def test_bad_inputs_give_clear_messages_and_change_nothing(branch, cheque_set,
                                                           tmp_path) -> None:
    service, s = branch
    _enroll(service, s["operator"], cheque_set, "1002003000")
    store = service.store

    def snapshot():
        refs = [(r.id, r.image_sha256, r.embedding.tobytes()) for r in store.references(1)]
        kept = [e for e in store.audit_entries() if e.action != "verify_refused"]
        return len(kept), refs, store.decisions(1)

    before = snapshot()
    messages, refused = {}, []
    for what, path in _bad_inputs(tmp_path, cheque_set).items():
        with pytest.raises(InputImageError) as info:
            service.check_cheque(s["clerk"], "1002003000", path)
        assert path.name in str(info.value), what
        messages[what] = info.value.problem
        if isinstance(info.value, ChequeRefused):
            refused.append(path.name)
    # Nothing changes but the refusals of readable non-cheques, recorded as refusals.
    assert snapshot() == before
    assert refused == ["unsigned.jpg"]
    assert [e.details["cheque"] for e in store.audit_entries(AuditFilter(
        action="verify_refused"))] == refused
    assert "truncated" in messages["truncated TIFF"]
    assert "empty" in messages["zero-byte file"]
    assert "not an image" in messages["text named .png"]
    assert "pixels" in messages["30000x30000 image"]
    assert "blank" in messages["blank cheque"]
    assert "signature zone" in messages["no ink in the signature zone"]
    assert store.integrity_check() == "ok" and store.verify_audit().ok


def test_references_are_reembedded_when_the_model_changes(branch, cheque_set,
                                                          tiny_model) -> None:
    from desktop.core.signature.verification import SignatureVerifier

    service, s = branch
    refs = _enroll(service, s["operator"], cheque_set, "1002003000")
    old_model = service.model_id
    service.verifier = SignatureVerifier(tiny_model, "cpu")
    assert service.store.stale_reference_count(service.model_id) == 5
    fresh = service.references(s["clerk"], "1002003000")
    assert {r.model_id for r in fresh} == {service.model_id} != {old_model}
    assert fresh[0].embedding.shape != refs[0].embedding.shape  # 32-d tiny vs 128-d shipped
    entry = service.store.audit_entries(AuditFilter(action="reembedded"))[0]
    assert entry.details["from_models"] == [old_model]
    check = service.check_cheque(s["clerk"], "1002003000",
                                 _cheque(cheque_set, "1002003000", "genuine"))
    assert check.result.model_id == service.model_id


def test_revoke_and_replace(branch, cheque_set) -> None:
    service, s = branch
    op = s["operator"]
    refs = _enroll(service, op, cheque_set, "1002003000")
    with pytest.raises(ServiceError, match="reason"):
        service.revoke_reference(op, "1002003000", refs[0].id, " ")
    service.revoke_reference(op, "1002003000", refs[0].id, "scanned upside down")
    active = service.references(op, "1002003000")
    assert refs[0].id not in {r.id for r in active} and len(active) == 4
    everything = service.references(op, "1002003000", include_revoked=True)
    assert len(everything) == 5  # revoked references are kept, not deleted
    other = _refs(cheque_set, "1002003001")[0]
    cand = service.assess_candidates(op, service.load_candidates(op, [other]), "1002003000")[0]
    new = service.replace_reference(op, "1002003000", refs[1].id, cand, "better scan")
    ids = {r.id for r in service.references(op, "1002003000")}
    assert refs[1].id not in ids and new.id in ids and len(ids) == 4
    assert {"revoke", "replace"} <= set(_actions(service))


def test_huge_reference_image_is_refused(branch, tmp_path) -> None:
    service, s = branch
    path = tmp_path / "big.png"
    Image.new("L", (100, 100), 255).save(path)
    path.write_bytes(png_header_only(30000, 30000))
    (cand,) = service.load_candidates(s["operator"], [path])
    assert cand.status == REJECTED and cand.name == "big.png" and "pixels" in cand.problems[0]


@pytest.mark.parametrize("damage", ["nan", "short", "image"])
def test_a_damaged_stored_reference_is_named_and_nothing_is_checked(branch, cheque_set,
                                                                  damage: str) -> None:
    # A row edited behind the app's back (or damaged) must neither crash every check of the
    # account with an error naming nothing nor pass a NaN into the verdict and the audit.
    from tests.store_backends import raw_sql

    service, s = branch
    refs = _enroll(service, s["operator"], cheque_set, "1002003000")
    victim = refs[1].id
    if damage == "image":
        raw_sql(service.store, "UPDATE reference_signatures SET image_png = ? WHERE id = ?",
                (b"\x89PNG not really", victim))
    else:
        emb = np.full(10, 0.1, np.float32) if damage == "short" else refs[1].embedding.copy()
        emb[0] = np.nan
        raw_sql(service.store, "UPDATE reference_signatures SET embedding = ? WHERE id = ?",
                (emb.astype("<f4").tobytes(), victim))
    before = len(service.store.audit_entries())
    with pytest.raises(ServiceError, match=f"stored reference {victim} .*1002003000.* damaged"):
        service.check_cheque(s["clerk"], "1002003000", _cheque(cheque_set, "1002003000",
                                                                "genuine"))
    with pytest.raises(ServiceError, match="damaged"):
        service.references(s["clerk"], "1002003000")
    assert len(service.store.audit_entries()) == before  # no verdict was audited
    assert not service.store.verify_audit().ok  # and the chain check shows what changed


def test_a_settings_change_the_audit_cannot_record_is_not_in_force(branch, monkeypatch) -> None:
    service, s = branch
    before = service.settings
    levels = sorted({round(level["target_far"], 6)
                     for k in service.model.manifest.calibrations
                     for level in service.model.security_levels(k, before.method)})
    other = next(f for f in levels if f != before.target_far)

    def locked(*_args, **_kwargs):
        raise StoreError("database is locked")

    monkeypatch.setattr(service.store, "append_audit", locked)
    with pytest.raises(StoreError):
        service.change_settings(s["admin"], replace(before, target_far=other))
    assert service.settings == before
