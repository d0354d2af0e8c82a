"""The clerk's screen: pick the account, open or scan the cheque, read the verdict, decide."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
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
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.cheque import SignatureZone
from desktop.core.preprocess import to_display
from desktop.core.service import ACCEPT, REFER, REJECT, ChequeCheck, decode_png
from desktop.core.store import Account, Reference
from desktop.ui.widgets import (
    IMAGE_FILTER,
    AccountPicker,
    ChequeView,
    DropFrame,
    to_pixmap,
    verdict_style,
)


class CheckScreen(QWidget):
    """Cheque check. Nothing here can change references: the service refuses it for a clerk."""

    references_loaded = Signal(list)
    check_done = Signal(object)
    decision_recorded = Signal(int)

    def __init__(self, host) -> None:
        super().__init__()
        self.host = host
        self.account: Account | None = None
        self.references: list[Reference] = []
        self.cheque_path: str | None = None
        self.check: ChequeCheck | None = None
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
        lay.addWidget(QLabel("Enrolled references:"))
        lay.addWidget(self.ref_list, 2)

        self.cheque_frame = DropFrame("Cheque (drop an image, open or scan)")
        self.cheque_frame.files_dropped.connect(lambda files: self.open_cheque(files[0]))
        self.cheque_view = ChequeView()
        self.cheque_view.zone_changed.connect(self._zone_dragged)
        open_btn = QPushButton("Open cheque…")
        open_btn.clicked.connect(self._choose_cheque)
        scan_btn = QPushButton("Scan (newest in scan folder)")
        scan_btn.clicked.connect(self.scan)
        reset_zone = QPushButton("Reset zone")
        reset_zone.clicked.connect(self.reset_zone)
        self.extracted = QLabel()
        self.prepared = QLabel()
        for lab in (self.extracted, self.prepared):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            lab.setMinimumSize(240, 110)
            lab.setFrameShape(QFrame.Shape.StyledPanel)
        buttons = QHBoxLayout()
        for b in (open_btn, scan_btn, reset_zone):
            buttons.addWidget(b)
        sig_row = QHBoxLayout()
        for title, lab in (("Extracted signature", self.extracted),
                           ("Preprocessed (what the model compares)", self.prepared)):
            col = QVBoxLayout()
            col.addWidget(QLabel(title))
            col.addWidget(lab, 1)
            sig_row.addLayout(col)
        hint = QLabel("Blue dashes: signature zone (drag a rectangle to move it). "
                      "Green: the signature found.")
        hint.setStyleSheet("color: #555;")
        clay = QVBoxLayout(self.cheque_frame)
        clay.addLayout(buttons)
        clay.addWidget(self.cheque_view, 3)
        clay.addWidget(hint)
        clay.addLayout(sig_row, 2)

        result = QGroupBox("Verdict and decision")
        grid = QGridLayout(result)
        self.verdict_label = QLabel("—")
        self.verdict_label.setStyleSheet(verdict_style("", 22))
        self.similarity_label = QLabel("")
        self.similarity_label.setStyleSheet("font-size: 15pt;")
        self.detail_label = QLabel("")
        self.detail_label.setWordWrap(True)
        self.reason_box = QLineEdit()
        self.reason_box.setPlaceholderText("Reason (needed to decide against the verdict)")
        self.decision_buttons = {}
        brow = QHBoxLayout()
        for decision, text in ((ACCEPT, "Accept (pay)"), (REFER, "Refer"),
                               (REJECT, "Reject")):
            b = QPushButton(text)
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, d=decision: self.record(d, self.reason_box.text()))
            self.decision_buttons[decision] = b
            brow.addWidget(b)
        self.decision_label = QLabel("")
        grid.addWidget(self.verdict_label, 0, 0)
        grid.addWidget(self.similarity_label, 0, 1)
        grid.addWidget(self.detail_label, 1, 0, 1, 2)
        grid.addWidget(self.reason_box, 2, 0, 1, 2)
        grid.addLayout(brow, 3, 0, 1, 2)
        grid.addWidget(self.decision_label, 4, 0, 1, 2)

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.addWidget(self.cheque_frame, 3)
        rlay.addWidget(result, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([330, 870])
        QVBoxLayout(self).addWidget(split)

    # ---- actions ---------------------------------------------------------------------------
    def _account_loaded(self, loaded: tuple[Account, list[Reference]]) -> None:
        self.account, self.references = loaded
        self.picker.label.setText(f"<b>{self.account.holder_name}</b><br>"
                                   f"Account {self.account.account_number} · "
                                   f"{len(self.references)} reference(s)")
        self._show_references(None)
        self._clear_result()
        if self.cheque_path:  # a cheque is already open: check it against this account
            self._run_check()
        self.references_loaded.emit(self.references)

    def _show_references(self, similarities: list[float] | None) -> None:
        self.ref_list.clear()
        for i, ref in enumerate(self.references):
            text = ref.source_name or f"reference {ref.id}"
            if similarities is not None:
                text += f"\nsimilarity {similarities[i]:.3f}"
            item = QListWidgetItem(QIcon(to_pixmap(decode_png(ref.image_png))), text)
            self.ref_list.addItem(item)

    def _choose_cheque(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Cheque image", "", IMAGE_FILTER)
        if path:
            self.open_cheque(path)

    def scan(self) -> None:
        """Take the newest image the scanner saved in the configured scan folder."""
        self.host.open_newest_scan(self.open_cheque)

    def open_cheque(self, path: str) -> None:
        """Check this cheque against the selected account's references."""
        self.cheque_path = str(path)
        self.cheque_frame.setTitle(f"Cheque: {Path(path).name}")
        if self.account is None:
            self.host.show_error("Select the account first, then open the cheque.")
            return
        self._run_check()

    def _zone_dragged(self, zone: tuple[float, float, float, float]) -> None:
        try:
            self._run_check(SignatureZone(*zone))
        except ValueError as exc:
            self.host.show_error(f"That zone cannot be used: {exc}")

    def reset_zone(self) -> None:
        """Back to the configured signature zone."""
        if self.cheque_path and self.account:
            self._run_check()

    def _run_check(self, zone: SignatureZone | None = None) -> None:
        self._clear_result()
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.check_cheque, ses, self.account.account_number, self.cheque_path, zone,
                      on_done=self._checked, status=f"Checking {Path(self.cheque_path).name}…")

    def _checked(self, check: ChequeCheck) -> None:
        self.check = check
        ex, r = check.extraction, check.result
        h, w = ex.page.shape
        z = check.settings.zone
        x0, y0, x1, y1 = ex.ink_box
        self.cheque_view.set_page(ex.page, (z.x, z.y, z.w, z.h),
                                  (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h))
        self.extracted.setPixmap(to_pixmap(ex.signature, self.extracted.size()))
        self.prepared.setPixmap(to_pixmap(to_display(check.query_inkmap), self.prepared.size()))
        self.verdict_label.setText(r.decision.upper())
        self.verdict_label.setStyleSheet(verdict_style(r.decision, 22))
        self.similarity_label.setText(f"Similarity {r.similarity:.3f}")
        far = f"target FAR {100 * r.target_far:g}%" if r.target_far else "default level"
        self.detail_label.setText(
            f"Against {len(check.references)} references ({r.method} method, {far}): genuine "
            f"at similarity ≥ {r.accept_similarity:.3f}, forged below "
            f"{r.reject_similarity:.3f}, needs review in between. Skew corrected "
            f"{ex.angle:+.1f}°. Model {r.model_id} on {r.provider}."
        )
        self._show_references(r.reference_similarities)
        for b in self.decision_buttons.values():
            b.setEnabled(True)
        self.check_done.emit(check)

    def record(self, decision: str, reason: str = "") -> None:
        """Record the clerk's decision on the current check."""
        if self.check is None:
            return
        svc, ses = self.host.service, self.host.session
        self.host.run(svc.record_decision, ses, self.check, decision, reason,
                      on_done=lambda i, d=decision: self._recorded(i, d),
                      status="Recording the decision…")

    def _recorded(self, decision_id: int, decision: str) -> None:
        for b in self.decision_buttons.values():
            b.setEnabled(False)
        self.reason_box.clear()
        self.decision_label.setText(f"Decision recorded: {decision} (#{decision_id}).")
        self.decision_recorded.emit(decision_id)

    def _clear_result(self) -> None:
        self.check = None
        self.verdict_label.setText("—")
        self.verdict_label.setStyleSheet(verdict_style("", 22))
        self.similarity_label.clear()
        self.detail_label.clear()
        self.decision_label.clear()
        self.extracted.clear()
        self.prepared.clear()
        for b in self.decision_buttons.values():
            b.setEnabled(False)
