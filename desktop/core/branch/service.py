"""The branch service: every action a clerk, operator or admin takes, with its role check and
its audit entry. The Qt screens and the batch command call only this layer, so a permission
holds whichever front end calls it. The rules a clerk's decision follows, and the checked
cheque it is recorded on, are in :mod:`desktop.core.branch.decisions`; the account desk in
:mod:`desktop.core.branch.accounts`, the audit log and settings in
:mod:`desktop.core.branch.audit_admin`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from desktop.core.access.sessions import AccessControl, Session
from desktop.core.banknote.model import BanknoteModel
from desktop.core.branch.accounts import AccountDesk
from desktop.core.branch.audit_admin import AuditDesk
from desktop.core.branch.banknotes import BanknoteService
from desktop.core.branch.decisions import (
    ACCEPT,
    DECISION_WORDS,
    EARLIER_LIMIT,
    MIN_REASON,
    REFER,
    REJECT,
    ChequeCheck,
    DecisionSettings,
    accepted,
    approve,
    changed_since_checked,
    decision_rule,
    earlier_details,
    paid_before_problem,
)
from desktop.core.branch.files import check_stored, decode_png, sha256_bytes
from desktop.core.cancel import checkpoint
from desktop.core.errors import N_, InputImageError, Message, ServiceError, word_for
from desktop.core.imaging.decode import load_page, page_count, read_input_file
from desktop.core.signature.cheque import (
    ChequeRefused,
    SignatureZone,
    extract_signature,
    upside_down_problem,
)
from desktop.core.signature.enrollment import (
    MAX_REFERENCES,
    MIN_REFERENCES,
    Candidate,
    EnrolledReference,
    assess,
    rejected,
)
from desktop.core.signature.preprocess import matched_inkmap, preprocess_signature
from desktop.core.signature.stored_widths import StoredWidths
from desktop.core.signature.verification import (
    FORGED,
    VERDICT_WORDS,
    SignatureVerifier,
    VerificationResult,
)
from desktop.core.store.records import (
    Account,
    ChequeDecision,
    Decision,
    NewReference,
    Reference,
    ReferenceStore,
)


def _signature_of(acc: Account) -> Message:
    """How a damaged reference of an account is named."""
    return Message(N_("a signature of account {account}"), account=acc.account_number)


class BranchService(AccountDesk, AuditDesk, AccessControl):
    """The core of the branch app: accounts, enrollment, cheque checks, decisions, audit and
    settings; login, sessions and users come from :class:`AccessControl`; banknote checks and
    reference notes are :attr:`notes`, a :class:`BanknoteService` on the same access control."""

    def __init__(
        self, store: ReferenceStore, verifier: SignatureVerifier | None,
        settings: DecisionSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        banknotes: BanknoteModel | None = None,
    ) -> None:
        super().__init__(store, clock)
        self.verifier = verifier
        self.notes = BanknoteService(self, banknotes)  # its model is set once loaded
        self.settings = settings or DecisionSettings()
        self._widths = StoredWidths(decode_png)  # the references' pens, measured once each

    @property
    def model(self) -> SignatureVerifier:
        """The loaded model (the app loads it in the background after login)."""
        if self.verifier is None:
            raise ServiceError(Message(N_("the signature model is not loaded yet; wait a "
                                          "moment")))
        return self.verifier

    @property
    def model_id(self) -> str:
        """The model that embeds and decides now."""
        return self.model.manifest.model_id

    # ---- accounts: AccountDesk; audit and settings: AuditDesk ------------------------

    def account_with_references(self, session: Session, account_number: str,
                                include_revoked: bool = False
                                ) -> tuple[Account, list[Reference]]:
        """The account and its references, re-embedded first if the model changed."""
        acc = self.account(session, account_number)
        self._refresh_embeddings(session, acc)
        refs = self.store.references(acc.id, include_revoked=include_revoked)
        size = self.model.manifest.embedding_size
        for r in refs:
            if r.status == "active":
                check_stored(r.id, _signature_of(acc), r.embedding, size, r.image_png,
                             r.image_sha256)
        return acc, refs

    def references(self, session: Session, account_number: str,
                   include_revoked: bool = False) -> list[Reference]:
        """The account's references, re-embedded first if the model changed."""
        return self.account_with_references(session, account_number, include_revoked)[1]

    def _refresh_embeddings(self, session: Session, acc: Account) -> None:
        stale = [r for r in self.store.references(acc.id) if r.model_id != self.model_id]
        if not stale:
            return
        prep = self.model.manifest.preprocessing
        for r in stale:
            check_stored(r.id, _signature_of(acc), None, 0, r.image_png, r.image_sha256)
        inkmaps = [preprocess_signature(decode_png(r.image_png), prep, path=r.source_name)
                   for r in stale]
        emb = self.model.embed_inkmaps(inkmaps)
        with self.store.transaction():
            self.store.update_embeddings([(r.id, e, self.model_id)
                                          for r, e in zip(stale, emb, strict=True)])
            self.store.append_audit(session.username, "reembedded", acc.account_number,
                                    self.model_id,
                                    {"references": [r.id for r in stale],
                                     "from_models": sorted({r.model_id for r in stale})})

    # ---- enrollment ----------------------------------------------------------------------
    def load_candidates(self, session: Session, paths: Sequence[str | Path],
                        card: bool = False) -> list[Candidate]:
        """Operator: read files as enrollment candidates, one per page (a multi-page TIFF or
        PDF gives one per page, named "file p.2"). With ``card`` each page is a signature
        card whose signatures are separated. Unreadable files and pages become rejected
        candidates with the reason (nothing is stored)."""
        from desktop.core.signature.card import split_signature_card

        self.require(session, "enroll")
        out: list[Candidate] = []
        for path in paths:
            name = Path(path).name
            try:
                data = read_input_file(path)  # read once, every page decoded from it
                pages = page_count(path, data)
            except InputImageError as exc:
                out.append(rejected(name, exc.problem))  # the row names the file
                continue
            for page in range(pages):
                page_name = name if pages == 1 else f"{name} p.{page + 1}"
                try:
                    gray = load_page(path, page, data=data)
                    if card:
                        crops = split_signature_card(gray, path=path)
                        out.extend(Candidate(f"{page_name} #{i + 1}", crop)
                                   for i, crop in enumerate(crops))
                    else:
                        out.append(Candidate(page_name, gray))
                except InputImageError as exc:
                    out.append(rejected(page_name, exc.problem))
        return out

    def assess_candidates(self, session: Session, candidates: Sequence[Candidate],
                          account_number: str | None = None) -> list[Candidate]:
        """Operator: run the quality checks, against the account's active references too: a
        candidate that duplicates one of them (the same image, or the same paper re-scanned)
        is rejected with the same tests as two candidates of one session. Their stored scans
        are read back under the model's contract for it (at most :data:`MAX_REFERENCES`)."""
        self.require(session, "enroll")
        existing: list[EnrolledReference] = []
        if account_number:
            prep = self.model.manifest.preprocessing
            # references() refused any row whose image is not its own SHA-256 or does not
            # decode, so every stored scan read here is the one enrolled.
            existing = [EnrolledReference(
                r.source_name or f"#{r.id}", r.embedding,
                preprocess_signature(decode_png(r.image_png), prep, path=r.source_name))
                for r in self.references(session, account_number)]
        return assess(self.model, candidates, existing)

    def enroll(self, session: Session, account_number: str,
               candidates: Sequence[Candidate]) -> list[Reference]:
        """Operator: store the usable, assessed candidates as references, all or none."""
        self.require(session, "enroll")
        acc = self.account(session, account_number)
        usable = [c for c in candidates if c.usable and c.embedding is not None]
        if len(usable) != len(candidates):
            raise ServiceError(Message(N_("remove the rejected or unchecked signatures before "
                                          "saving")))
        enrollment_id = uuid.uuid4().hex
        new = [NewReference(c.png(), c.embedding, self.model_id, c.name) for c in usable]
        with self.store.transaction():
            # Count under the account's lock: two operators (two PCs) enrolling the same
            # account at once must not pass the limit together.
            self.store.lock(f"account {acc.id}")
            current = len(self.store.references(acc.id))
            total = current + len(usable)
            if not MIN_REFERENCES <= total <= MAX_REFERENCES:
                raise ServiceError(Message(N_(
                    "an account needs {least} to {most} references; this would give {total} "
                    "({current} enrolled + {new} new)"), least=MIN_REFERENCES,
                    most=MAX_REFERENCES, total=total, current=current, new=len(usable)))
            refs = self.store.add_references(acc.id, new, session.username, enrollment_id)
            self.store.append_audit(
                session.username, "enroll", acc.account_number, self.model_id,
                {"enrollment_id": enrollment_id, "references": [r.id for r in refs],
                 "sources": [c.name for c in usable],
                 "warnings": {c.name: c.problems for c in usable if c.problems}},
            )
        return refs

    def revoke_reference(self, session: Session, account_number: str, ref_id: int,
                         reason: str) -> Reference:
        """Operator: withdraw a reference (kept in the store, no longer used)."""
        self.require(session, "revoke")
        if not reason.strip():
            raise ServiceError(Message(N_("a reason is needed to revoke a reference")))
        acc = self.account(session, account_number)
        if ref_id not in {r.id for r in self.store.references(acc.id)}:
            raise ServiceError(Message(N_("reference {ref} is not an active reference of "
                                          "{account}"), ref=ref_id, account=account_number))
        with self.store.transaction():
            ref = self.store.revoke_reference(ref_id, session.username, reason.strip())
            self.store.append_audit(session.username, "revoke", acc.account_number,
                                    ref.model_id, {"reference": ref_id, "reason": reason.strip()})
        return ref

    def replace_reference(self, session: Session, account_number: str, ref_id: int,
                          candidate: Candidate, reason: str) -> Reference:
        """Operator: revoke one reference and enroll another in its place, atomically."""
        self.require(session, "revoke")
        self.require(session, "enroll")
        if not candidate.usable or candidate.embedding is None:
            raise ServiceError(Message(N_("the replacement must pass the quality checks "
                                          "first")))
        acc = self.account(session, account_number)
        with self.store.transaction():
            self.revoke_reference(session, account_number, ref_id, reason)
            (ref,) = self.store.add_references(
                acc.id, [NewReference(candidate.png(), candidate.embedding, self.model_id,
                                      candidate.name)], session.username, uuid.uuid4().hex)
            self.store.append_audit(session.username, "replace", acc.account_number,
                                    self.model_id, {"revoked": ref_id, "new": ref.id,
                                                    "source": candidate.name})
        return ref

    # ---- cheque checks -------------------------------------------------------------------
    def check_cheque(self, session: Session, account_number: str, path: str | Path,
                     zone: SignatureZone | None = None, page: int = 0,
                     source: str = "clerk",
                     audit_extra: dict[str, Any] | None = None) -> ChequeCheck:
        """Clerk: extract the signature from a cheque image, compare it with the account's
        references and audit the result. Raises a clear error for unusable input; nothing
        but the audit entry is written. ``audit_extra`` adds keys to the verify entry's
        details (the batch's run id and row); it cannot replace the standard ones.

        The decisions already recorded on the same file (its SHA-256, on any account: the
        same cheque presented again) come with the check (:attr:`ChequeCheck.earlier`) and
        in the verify entry's ``earlier_decisions``."""
        self.require(session, "verify")
        settings = self.settings if zone is None else replace(self.settings, zone=zone)
        acc, refs = self.account_with_references(session, account_number)
        if not refs:
            raise ServiceError(Message(N_("account {account} has no enrolled reference "
                                          "signatures"), account=account_number))
        # Read once (hashed for the audit and decoded): regular files only, bounded.
        data = read_input_file(path)
        gray = load_page(path, page, data=data)  # only that page is decoded, reduced
        checkpoint()

        def refused(exc: ChequeRefused, **found: Any) -> ChequeRefused:
            # Not a verdict: the clerk is told why and may draw the zone; the refusal is kept
            # (with what was found before it, for an upside-down page the upright reading).
            exc.audit_id = self.store.append_audit(
                session.username, "verify_refused", acc.account_number, self.model_id,
                {**(audit_extra or {}), "cheque": Path(path).name, "page": page + 1,
                 "sha256": sha256_bytes(data), "source": source, "refusal": exc.kind,
                 "problem": exc.problem, "zone": settings.zone.to_dict(), **found}).id
            return exc

        try:
            extraction = extract_signature(gray, settings.zone, path=path)
        except ChequeRefused as exc:
            raise refused(exc) from None
        checkpoint()  # nothing is audited for a check cancelled before its verdict
        prep = self.model.manifest.preprocessing
        # The contract may grow the cheque's strokes to the references' (a finer pen): their
        # widths are read from the stored scans (only when it does; each scan once).
        widths = self._widths.widths([(r.image_png, r.source_name) for r in refs], prep)
        embeddings = np.stack([r.embedding for r in refs])

        def judged(signature: np.ndarray) -> tuple[np.ndarray, int, VerificationResult]:
            inkmap, grown = matched_inkmap(signature, prep, path, widths)
            query = self.model.embed_inkmaps([inkmap])[0]
            return inkmap, grown, self.model.decide(embeddings, query, method=settings.method,
                                                    target_far=settings.target_far)

        inkmap, grown, result = judged(extraction.signature)
        if result.decision == FORGED:  # a page scanned upside down is no forgery
            turned = upside_down_problem(gray, settings.zone, lambda s: judged(s)[2])
            if turned is not None:
                raise refused(ChequeRefused(path, turned, "upside_down", extraction.page),
                              upright_verdict=result.decision,
                              upright_similarity=round(result.similarity, 6),
                              upright_score=round(result.distance, 6))
        digest = sha256_bytes(data)
        earlier = tuple(self._decided_before(digest, page))
        entry = self.store.append_audit(
            session.username, "verify", acc.account_number, self.model_id,
            {**(audit_extra or {}), "cheque": Path(path).name, "page": page + 1,
             "sha256": digest, "source": source, "verdict": result.decision,
             "similarity": round(result.similarity, 6),
             "score": round(result.distance, 6), "method": settings.method,
             "target_far": settings.target_far, "references": [r.id for r in refs],
             "reference_similarities": [round(s, 6) for s in result.reference_similarities],
             "pen_growth_px": grown, "zone": settings.zone.to_dict(),
             "earlier_decisions": earlier_details(earlier)},
        )
        return ChequeCheck(acc, str(path), digest, extraction, inkmap, refs, result, entry.id,
                           settings, grown, earlier)

    def _decided_before(self, digest: str, page: int) -> list[ChequeDecision]:
        """The decisions already recorded on page ``page`` (0-based) of the file of SHA-256
        ``digest``: a multi-page file holds several cheques, one a page, and paying one is not
        paying another. Accepts first, newest first, at most ``EARLIER_LIMIT``."""
        same = []
        for earlier in self.store.cheque_decisions(digest, 10 * EARLIER_LIMIT):
            row = self.store.audit_entry(earlier.verification_id)
            if row is None or int(row.details.get("page", 1)) == page + 1:
                same.append(earlier)
        return same[:EARLIER_LIMIT]

    def record_decision(self, session: Session, check: ChequeCheck, decision: str,
                        reason: str = "", approver: tuple[str, str] | None = None) -> int:
        """Clerk: record accept / refer / reject on an audited verification.

        Refer (escalating) never needs a reason. Accepting or rejecting against the verdict
        (genuine suggests accept, forged reject; needs review suggests refer) is an override
        and needs a reason of :data:`MIN_REASON` characters. Accepting a cheque the app
        called *forged* also needs a second person: ``approver`` is a supervisor's or an
        admin's ``(user name, password)``, checked like a login (failures count towards
        their lock-out), and both names go into the audit row.

        Accepting a cheque whose file (SHA-256) was already accepted, on any account, needs
        a reason too, whatever the verdict; the store is asked again under a lock on the
        cheque as the decision is written, so two clerks paying the same cheque at once
        cannot both pass without one (the later is refused, to check it again).
        """
        self.require(session, "decide")
        if decision not in (ACCEPT, REFER, REJECT):
            raise ServiceError(Message(N_("unknown decision {decision}"),
                                       decision=repr(decision)))
        # The verdict is taken from the audited verification, not from the caller's object.
        entry = self.store.audit_entry(check.audit_id)
        if (entry is None or entry.action != "verify" or entry.username != session.username
                or entry.account_number != check.account.account_number):
            raise ServiceError(Message(N_("this verification is not one of yours: check the "
                                          "cheque again")))
        if (changed := changed_since_checked(entry, check)) is not None:
            self.store.append_audit(session.username, "decision_refused",
                                    check.account.account_number, entry.model_id,
                                    {"verification_audit_id": entry.id, "problem": changed})
            raise ServiceError(changed)
        verdict, digest = entry.details["verdict"], entry.details["sha256"]
        page = int(entry.details.get("page", 1)) - 1
        paid = accepted(self._decided_before(digest, page))
        rule = decision_rule(verdict, decision, accepted_before=bool(paid))
        reason = reason.strip()
        if rule.paid_before and len(reason) < MIN_REASON:
            raise ServiceError(paid_before_problem(paid[0]))
        if rule.needs_reason and len(reason) < MIN_REASON:
            raise ServiceError(Message(N_(
                "the verdict was {verdict}: a reason of at least {n} characters is needed to "
                "{decision} against it"), verdict=word_for(VERDICT_WORDS, verdict),
                n=MIN_REASON, decision=word_for(DECISION_WORDS, decision)))
        approved_by = (approve(self, session, approver, verdict, check.account.account_number,
                               entry) if rule.needs_approval else None)
        rec = Decision(entry.id, check.account.id, entry.details["cheque"],
                       entry.details["sha256"], entry.model_id, entry.details["method"],
                       entry.details["score"], entry.details["similarity"], verdict, decision,
                       reason, session.username)
        details = {"decision": decision, "verdict": verdict, "reason": reason,
                   "verification_audit_id": entry.id, "cheque": rec.cheque_name}
        if approved_by:
            details["approved_by"] = approved_by
        if paid:
            details["accepted_before"] = [e.decision_id for e in paid]
        with self.store.transaction():
            if decision == ACCEPT:
                # Under the cheque's lock: an acceptance committed since the look-up above
                # (another clerk, another PC) is seen here.
                self.store.lock(f"cheque {digest}")
                now_paid = accepted(self._decided_before(digest, page))
                if not rule.paid_before and now_paid:
                    raise ServiceError(paid_before_problem(now_paid[0], meanwhile=True))
            decision_id = self.store.add_decision(rec)
            self.store.append_audit(
                session.username, "override" if rule.is_override else "decision",
                check.account.account_number, entry.model_id,
                {"decision_id": decision_id, **details},
            )
        return decision_id
