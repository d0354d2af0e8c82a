"""The clerk's screen: pick the account, open or scan the cheque, read the verdict, decide."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.branch.decisions import (
    ACCEPT,
    DECISION_WORDS,
    MIN_REASON,
    REFER,
    REJECT,
    ChequeCheck,
    decision_rule,
)
from desktop.core.branch.files import decode_png
from desktop.core.errors import InputImageError, word_for
from desktop.core.imaging.decode import page_count
from desktop.core.signature.cheque import ChequeRefused, SignatureZone
from desktop.core.signature.preprocess import to_display
from desktop.core.store.records import Account, Reference
from desktop.ui.approval_dialog import ApprovalDialog
from desktop.ui.check_words import earlier_words, plain_words
from desktop.ui.widgets import (
    AccountPicker,
    ChequeView,
    DropFrame,
    elided,
    image_filter,
    join_sentences,
    to_pixmap,
    verdict_style,
    verdict_text,
)
from desktop.ui.wording import decision_rule_text, method_name, worded
from desktop.ui.workers import RequestSlot

# Display texts (English source; shown through QCoreApplication.translate("CheckScreen", ...)).
DECISION_TEXT = {ACCEPT: QT_TRANSLATE_NOOP("CheckScreen", "Accept (pay)"),
                 REFER: QT_TRANSLATE_NOOP("CheckScreen", "Refer"),
                 REJECT: QT_TRANSLATE_NOOP("CheckScreen", "Reject")}
REFUSED_COLOUR = "#555555"
EARLIER_COLOUR, EARLIER_BACKGROUND = "#b3261e", "#fdecea"  # the cheque was decided on before
UNUSABLE_PAGE = "unusable_page"  # a page of several that cannot be read as a cheque (unaudited)
REFUSAL_TITLES = {"not_a_cheque": QT_TRANSLATE_NOOP("CheckScreen", "NOT A CHEQUE"),
                  "no_signature": QT_TRANSLATE_NOOP("CheckScreen", "NO SIGNATURE FOUND"),
                  "upside_down": QT_TRANSLATE_NOOP("CheckScreen", "UPSIDE DOWN?"),
                  "turned": QT_TRANSLATE_NOOP("CheckScreen", "TURNED 90°?"),
                  UNUSABLE_PAGE: QT_TRANSLATE_NOOP("CheckScreen", "PAGE NOT USABLE")}


def _shown(text: str) -> str:
    """One of the display texts above, in the user's language."""
    return QCoreApplication.translate("CheckScreen", text)


def check_or_refusal(service, session, account_number: str, path: str,
                     zone: SignatureZone | None, page: int = 0, others: bool = False
                     ) -> tuple[int, ChequeCheck | ChequeRefused]:
    """The file's page count and the service's check of one page, with a refusal (not a
    cheque, no signature in the zone) returned rather than raised, so that the screen can
    show the page for the zone tool and offer the other pages: the file's, or, with
    ``others``, those of the same scan in other files (a document feeder's)."""
    pages = page_count(path)  # headers only: a multi-page scan's pages are offered to pick
    try:
        return pages, service.check_cheque(session, account_number, path, zone, page=page)
    except ChequeRefused as exc:
        return pages, exc
    except InputImageError as exc:
        if pages == 1 and not others:
            raise
        # One unusable page (a blank separator, the back) of several: offer the others.
        return pages, ChequeRefused(exc.path, exc.problem, UNUSABLE_PAGE)


class CheckScreen(QWidget):
    """Cheque check. Nothing here can change references: the service refuses it for a clerk."""

    references_loaded = Signal(list)
    check_done = Signal(object)
    refused = Signal(object)  # the ChequeRefused: no verdict for this file
    decision_recorded = Signal(int)
    approval_dialog_factory = ApprovalDialog  # tests put a scripted dialog here

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.account: Account | None = None
        self.references: list[Reference] = []
        self.cheque_path: str | None = None
        self.check: ChequeCheck | None = None
        self.zone: SignatureZone | None = None  # a zone the clerk dragged, for this cheque
        self.page = 0  # the page of a multi-page scan (TIFF, PDF) being checked
        self.scanned: list[str] = []  # a document feeder's pages, one file each (or none)
        self.requests = RequestSlot()  # the check on screen is the newest one asked for
        self._build()

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.picker = AccountPicker(self.host)
        self.picker.loaded.connect(self._account_loaded)
        self.ref_list = QListWidget()
        self.ref_list.setIconSize(QSize(150, 90))
        self.ref_list.setSpacing(2)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.picker, 1)
        lay.addWidget(QLabel(self.tr("Enrolled references:")))
        lay.addWidget(self.ref_list, 2)

        self.cheque_frame = DropFrame(self.tr("Cheque (drop an image, open or scan)"))
        self.cheque_frame.files_dropped.connect(lambda files: self.open_cheque(files[0]))
        self.cheque_view = ChequeView()
        self.cheque_view.zone_changed.connect(self._zone_dragged)
        open_btn = QPushButton(self.tr("Open cheque…"))
        open_btn.clicked.connect(self.open_file)
        scan_btn = QPushButton(self.tr("Scan"))
        scan_btn.setToolTip(self.tr("Scan with the scanner chosen in Settings, or take the "
                                    "newest image in the scan folder (Ctrl+Shift+S)"))
        scan_btn.clicked.connect(self.scan)
        reset_zone = QPushButton(self.tr("Reset zone"))
        reset_zone.clicked.connect(self.reset_zone)
        self.recheck_btn = QPushButton(self.tr("Check against this account"))
        self.recheck_btn.setEnabled(False)
        self.recheck_btn.clicked.connect(self.recheck)
        self.page_box = QSpinBox()  # shown for a file with several pages
        self.page_box.setPrefix(self.tr("Page "))
        self.page_box.setMinimum(1)
        self.page_box.setToolTip(self.tr("This file has several pages: pick the one with the "
                                         "cheque"))
        self.page_box.hide()
        self.page_box.valueChanged.connect(self._page_picked)
        self.extracted = QLabel()
        self.prepared = QLabel()
        for lab in (self.extracted, self.prepared):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setMinimumSize(200, 70)
            lab.setFrameShape(QFrame.Shape.StyledPanel)
        buttons = QHBoxLayout()
        for b in (open_btn, scan_btn, self.page_box, reset_zone, self.recheck_btn):
            buttons.addWidget(b)
        # The signature beside the cheque, not below it: the screen fits 1280x720.
        sig_col = QVBoxLayout()
        for title, lab in ((self.tr("Signature found"), self.extracted),
                           (self.tr("What the model compares"), self.prepared)):
            sig_col.addWidget(QLabel(title))
            sig_col.addWidget(lab, 1)
        view_row = QHBoxLayout()
        view_row.addWidget(self.cheque_view, 3)
        view_row.addLayout(sig_col, 1)
        hint = QLabel(self.tr("Blue dashes: signature zone (drag a rectangle to move it). "
                              "Green: the signature found."))
        hint.setStyleSheet("color: #555;")
        hint.setWordWrap(True)
        clay = QVBoxLayout(self.cheque_frame)
        clay.addLayout(buttons)
        clay.addLayout(view_row, 1)
        clay.addWidget(hint)

        result = QGroupBox(self.tr("Verdict and decision"))
        grid = QGridLayout(result)
        self.verdict_label = QLabel("—")
        self.verdict_label.setStyleSheet(verdict_style("", 22))
        self.similarity_label = QLabel("")
        self.similarity_label.setStyleSheet("font-size: 15pt;")
        # Decisions already recorded on the same cheque file: a second presentment.
        self.earlier_label = QLabel("")
        self.earlier_label.setWordWrap(True)
        self.earlier_label.setTextFormat(Qt.TextFormat.PlainText)
        self.earlier_label.setStyleSheet(
            f"font-size: 12pt; font-weight: bold; color: {EARLIER_COLOUR}; background: "
            f"{EARLIER_BACKGROUND}; border: 2px solid {EARLIER_COLOUR}; padding: 6px;")
        self.earlier_label.hide()
        self.summary_label = QLabel("")  # the verdict in plain words
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("font-size: 12pt;")
        self.detail_label = QLabel("")  # the technical line, behind "Technical details"
        self.detail_label.setWordWrap(True)
        self.detail_label.setStyleSheet("color: #555;")
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.hide()
        self.details_button = QToolButton()
        self.details_button.setText(self.tr("Technical details"))
        self.details_button.setCheckable(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.toggled.connect(self._show_details)
        self.reason_box = QLineEdit()
        self._word_reason_box(paid_before=False)
        self.rules_label = QLabel("")
        self.rules_label.setWordWrap(True)
        self.rules_label.setStyleSheet("color: #555;")
        self.decision_buttons = {}
        brow = QHBoxLayout()
        for decision, text in DECISION_TEXT.items():
            b = QPushButton(_shown(text))
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, d=decision: self.record(d, self.reason_box.text()))
            self.decision_buttons[decision] = b
            brow.addWidget(b)
        self.decision_label = QLabel("")
        two_lines = 2 * self.fontMetrics().lineSpacing() + 4
        for lab in (self.summary_label, self.detail_label, self.rules_label):
            lab.setMinimumHeight(two_lines)  # wrapped text is never squeezed to one line
        grid.addWidget(self.verdict_label, 0, 0)
        grid.addWidget(self.similarity_label, 0, 1)
        grid.addWidget(self.details_button, 0, 2, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.earlier_label, 1, 0, 1, 3)
        grid.addWidget(self.summary_label, 2, 0, 1, 3)
        grid.addWidget(self.detail_label, 3, 0, 1, 3)
        grid.addWidget(self.reason_box, 4, 0, 1, 3)
        grid.addLayout(brow, 5, 0, 1, 3)
        grid.addWidget(self.rules_label, 6, 0, 1, 3)
        grid.addWidget(self.decision_label, 7, 0, 1, 3)

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.addWidget(self.cheque_frame, 1)
        rlay.addWidget(result, 0)  # its natural height: nothing of the verdict is clipped
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([330, 870])
        QVBoxLayout(self).addWidget(split)

    # ---- actions ---------------------------------------------------------------------------
    def _account_loaded(self, loaded: tuple[Account, list[Reference]]) -> None:
        # Another customer: whatever was checked (or is being checked) against the previous
        # one is gone. The open cheque stays, and is checked against this account only when
        # the clerk asks.
        self.requests.cancel()
        self.account, self.references = loaded
        self.picker.label.setText(
            f"<b>{self.account.holder_name}</b><br>"
            + self.tr("Account {number} · %n reference(s)", "", len(self.references))
            .format(number=self.account.account_number))
        self.zone = None
        self._clear_result()
        self.references_loaded.emit(self.references)

    def _show_references(self, similarities: list[float] | None) -> None:
        self.ref_list.clear()
        for i, ref in enumerate(self.references):
            name = ref.source_name or self.tr("reference {id}").format(id=ref.id)
            text = elided(name, self.ref_list, 150)
            if similarities is not None:
                text += "\n" + self.tr("similarity {value}").format(
                    value=f"{similarities[i]:.3f}")
            item = QListWidgetItem(QIcon(to_pixmap(decode_png(ref.image_png))), text)
            item.setToolTip(name)
            self.ref_list.addItem(item)

    def open_file(self) -> None:
        """Ask for a cheque file and check it (File > Open, Ctrl+O)."""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Cheque image"), "", image_filter())
        if path:
            self.open_cheque(path)

    def scan(self) -> None:
        """Scan the cheque with the source the settings choose, then check it (the first
        page of a document feeder's; the page picker offers the others)."""
        self.host.acquire_scan(self.open_scanned)

    def open_scanned(self, pages: list[str]) -> None:
        """Check the first of the pages a scan gave; the others are offered to pick."""
        self.open_cheque(pages[0], pages)

    def open_cheque(self, path: str, scanned: list[str] | None = None) -> None:
        """Check this cheque against the selected account's references (``scanned``: all
        the pages of the scan it is the first of)."""
        self._open(path)
        self.scanned = [str(p) for p in scanned] if scanned and len(scanned) > 1 else []
        self._set_pages(1)
        if self.account is None:
            self.host.show_error(self.tr("Select the account first, then open the cheque."))
            return
        self._run_check()

    def _open(self, path: str) -> None:
        """Show ``path`` (its first page) as the cheque being checked, nothing checked yet."""
        self.requests.cancel()
        self.cheque_path = str(path)
        self.zone = None
        self.page = 0
        name = Path(path).name
        self.cheque_frame.setTitle(self.tr("Cheque: {name}").format(
            name=elided(name, self.cheque_frame, 520)))
        self.cheque_frame.setToolTip(str(path))
        self._clear_result()

    def recheck(self) -> None:
        """Check the open cheque (again) against the selected account, with the zone in use."""
        if self.cheque_path and self.account:
            self._run_check()

    def _set_pages(self, pages: int) -> None:
        """Offer the pages of the open file, or of the scan that gave it (hidden for one
        page), showing the one being checked; setting it here starts no other check."""
        if self.scanned:
            pages, shown = len(self.scanned), self.scanned.index(self.cheque_path)
        else:
            shown = self.page
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(max(1, pages))
        self.page_box.setSuffix(self.tr(" of {pages}").format(pages=pages))
        self.page_box.setValue(shown + 1)
        self.page_box.blockSignals(False)
        self.page_box.setVisible(pages > 1)

    def _page_picked(self, number: int) -> None:
        """The clerk picked another page of the open file, or of the scan: check that one."""
        if not self.cheque_path or not self.account:
            return
        if self.scanned:
            if self.scanned[number - 1] != self.cheque_path:
                self._open(self.scanned[number - 1])
                self._run_check()
        elif number - 1 != self.page:
            self.page = number - 1
            self.zone = None
            self._run_check()

    def _zone_dragged(self, zone: tuple[float, float, float, float]) -> None:
        try:
            self.zone = SignatureZone(*zone)
        except ValueError as exc:
            self.host.show_error(self.tr("That zone cannot be used: {problem}").format(problem=exc))
            return
        self._run_check()

    def reset_zone(self) -> None:
        """Back to the configured signature zone."""
        self.zone = None
        self.recheck()

    def _run_check(self) -> None:
        self._clear_result()
        svc, ses = self.host.service, self.host.session
        path = self.cheque_path
        self.host.run(check_or_refusal, svc, ses, self.account.account_number, path, self.zone,
                      self.page, bool(self.scanned),
                      on_done=lambda r, p=path: self._checked(r, p),
                      status=self.tr("Checking {name}…").format(name=Path(path).name),
                      slot=self.requests)

    def _checked(self, outcome: tuple[int, ChequeCheck | ChequeRefused], path: str) -> None:
        if path != self.cheque_path:  # belt and braces: the slot already dropped stale ones
            return
        pages, check = outcome
        self._set_pages(pages)
        if isinstance(check, ChequeRefused):
            self._refused(check)
            return
        self.check = check
        # The references the check used (and audited), not those listed when the account
        # was picked: an operator may have revoked or replaced one since.
        self.references = list(check.references)
        ex, r = check.extraction, check.result
        h, w = ex.page.shape
        z = check.settings.zone
        x0, y0, x1, y1 = ex.ink_box
        self.cheque_view.set_page(ex.page, (z.x, z.y, z.w, z.h),
                                  (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h))
        self.extracted.setPixmap(to_pixmap(ex.signature, self.extracted.size()))
        self.prepared.setPixmap(to_pixmap(to_display(check.query_inkmap), self.prepared.size()))
        self.verdict_label.setText(verdict_text(r.decision))
        self.verdict_label.setStyleSheet(verdict_style(r.decision, 22))
        self.similarity_label.setText(self.tr("Similarity {value}").format(
            value=f"{r.similarity:.3f}"))
        self.summary_label.setText(plain_words(check))
        self.details_button.setEnabled(True)
        self._word_reason_box(paid_before=bool(check.accepted_before))
        self.earlier_label.setText(earlier_words(check))
        self.earlier_label.setVisible(bool(check.earlier))
        # All its lines, always: the cheque's picture gives way (a small screen cut the box).
        self.earlier_label.setMinimumHeight(self.earlier_label.heightForWidth(
            max(self.earlier_label.width(), 400)) if check.earlier else 0)
        far = (self.tr("target FAR {percent}%").format(percent=f"{100 * r.target_far:g}")
               if r.target_far else self.tr("default level"))
        self.detail_label.setText(
            self.tr("Against %n references ({method} method, {far}): genuine at similarity "
                    "≥ {accept}, forged below {reject}, needs review in between. Skew "
                    "corrected {angle}°. Model {model} on {provider}. Audit #{audit}.", "",
                    len(check.references))
            .format(method=method_name(r.method), far=far, accept=f"{r.accept_similarity:.3f}",
                    reject=f"{r.reject_similarity:.3f}", angle=f"{ex.angle:+.1f}",
                    model=r.model_id, provider=r.provider, audit=check.audit_id)
            + ("" if not check.pen_growth_px else " " + self.tr(
                "The cheque's strokes were thinner than the references': thickened by {px} "
                "px before comparing (shown as compared).").format(px=check.pen_growth_px))
        )
        self.rules_label.setText("  ·  ".join(
            self.tr("{decision}: {rule}").format(
                decision=_shown(DECISION_TEXT[d]),
                rule=decision_rule_text(decision_rule(r.decision, d,
                                                      bool(check.accepted_before))))
            for d in (ACCEPT, REFER, REJECT)))
        self._show_references(r.reference_similarities)
        for b in self.decision_buttons.values():
            b.setEnabled(True)
        self.check_done.emit(check)

    def _word_reason_box(self, paid_before: bool) -> None:
        """The reason box's hint: when a reason is needed (paying a cheque paid before too)."""
        self.reason_box.setPlaceholderText(
            self.tr("Reason (at least {min} characters to accept again or to go against the "
                    "verdict; refer needs none)").format(min=MIN_REASON) if paid_before else
            self.tr("Reason (at least {min} characters to accept or reject against the verdict; "
                    "refer needs none)").format(min=MIN_REASON))

    def _show_details(self, shown: bool) -> None:
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if shown
                                         else Qt.ArrowType.RightArrow)
        self.detail_label.setVisible(shown)

    def _refused(self, refusal: ChequeRefused) -> None:
        """No verdict: say why, show the page so that the zone can be drawn on it."""
        title = REFUSAL_TITLES.get(refusal.kind)
        self.verdict_label.setText(_shown(title) if title else self.tr("NOT CHECKED"))
        self.verdict_label.setStyleSheet(f"font-size: 22pt; font-weight: bold; color: "
                                         f"{REFUSED_COLOUR};")
        problem = worded(refusal.problem)
        problem = problem[:1].upper() + problem[1:]
        audit = getattr(refusal, "audit_id", None)
        if refusal.kind == "upside_down":  # compared, but no verdict is given
            text = self.tr("{problem}. No verdict was given; the refusal is in the audit log "
                           "(#{audit}).").format(problem=problem, audit=audit)
        else:
            text = (self.tr("{problem}. Nothing was compared.") if audit is None else
                    self.tr("{problem}. Nothing was compared; the refusal is in the audit "
                            "log (#{audit}).")).format(problem=problem, audit=audit)
        if self.page_box.maximum() > 1:
            text = join_sentences(text, self.tr("This file has %n pages: pick another page "
                                                "above.", "", self.page_box.maximum()))
        self.summary_label.setText(text)
        self.details_button.setEnabled(False)  # nothing was judged: no details to show
        if refusal.page is not None and refusal.kind in ("no_signature", "upside_down",
                                                         "turned"):
            z = self.zone or self.host.service.settings.zone  # the page as the clerk sees it
            self.cheque_view.set_page(refusal.page, (z.x, z.y, z.w, z.h))
        if refusal.page is not None and refusal.kind == "no_signature":
            self.rules_label.setText(self.tr("Drag a rectangle around the signature on the "
                                             "cheque to check that zone."))
        self.refused.emit(refusal)

    def record(self, decision: str, reason: str = "") -> None:
        """Record the clerk's decision on the check on screen. Accepting a cheque called
        forged asks for a supervisor's approval in a dialog first."""
        check = self.check
        if check is None:
            return
        approver = None
        if decision_rule(check.result.decision, decision).needs_approval:
            dialog = self.approval_dialog_factory(self, check, reason)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            reason, approver = dialog.reason(), dialog.approver()
        svc, ses = self.host.service, self.host.session
        for b in self.decision_buttons.values():
            b.setEnabled(False)  # one decision per check, even with a double click
        self.host.run(svc.record_decision, ses, check, decision, reason, approver,
                      on_done=lambda i, d=decision, c=check: self._recorded(i, d, c),
                      on_failed=lambda m, c=check: self._record_failed(m, c),
                      status=self.tr("Recording the decision…"))

    def _recorded(self, decision_id: int, decision: str, check: ChequeCheck) -> None:
        recorded = self.tr("Decision recorded on {name}: {decision} (#{id}).").format(
            name=Path(check.cheque_path).name,
            decision=worded(word_for(DECISION_WORDS, decision)), id=decision_id)
        if check is not self.check:  # the clerk moved on: leave the new check alone
            self.host.statusBar().showMessage(recorded, 10000)
            return
        self.reason_box.clear()
        self.decision_label.setText(recorded)
        self.decision_recorded.emit(decision_id)

    def _record_failed(self, message: str, check: ChequeCheck) -> None:
        if check is self.check:
            for b in self.decision_buttons.values():
                b.setEnabled(True)
        self.host.show_error(message)

    def _clear_result(self) -> None:
        """Nothing of an earlier check stays on screen: image, signature, verdict,
        similarities, and no decision can be recorded."""
        self.check = None
        self.verdict_label.setText("—")
        self.verdict_label.setStyleSheet(verdict_style("", 22))
        for lab in (self.similarity_label, self.summary_label, self.detail_label,
                    self.decision_label, self.rules_label, self.extracted, self.prepared,
                    self.earlier_label):
            lab.clear()
        self.earlier_label.hide()
        self.cheque_view.set_page(None)
        self._show_references(None)
        for b in self.decision_buttons.values():
            b.setEnabled(False)
        self.recheck_btn.setEnabled(bool(self.cheque_path and self.account))

